/**
 * The volumes of the swarm target's tasks (each aggregator's and agent's `data_dir`). Swarm removes a
 * service's task containers on destroy but not their volumes, and only each node's own engine can
 * remove them: `down` does so on every node it can reach, which is every node of the local cluster
 * (scripts/cluster.sh) when the stack runs there, else the manager alone (docs/swarm.md says what to
 * run on the other nodes of real hosts).
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { stackLabelFilters } from "./labStatus";
import { managerDocker } from "./swarmStatus";

const clusterScript = path.resolve(__dirname, "cluster.sh");

/** The Docker endpoints of the local cluster's running nodes (none when there is no cluster). */
export function localClusterEngines(): string[] {
  try {
    const layout = JSON.parse(execFileSync("bash", [clusterScript, "layout"], { encoding: "utf8" })) as {
      nodes: { dockerHost: string; up: boolean }[];
    };
    return layout.nodes.filter((n) => n.up).map((n) => n.dockerHost);
  } catch {
    return [];
  }
}

/** Every engine of the swarm that `dockerHost` manages which this host can reach. */
export function reachableEngines(dockerHost: string): string[] {
  const cluster = localClusterEngines();
  return cluster.includes(dockerHost) ? cluster : [dockerHost];
}

const stackVolumes = (engine: string, project: string, stack: string): string[] =>
  managerDocker(engine, ["volume", "ls", "-q", ...stackLabelFilters(project, stack)])
    .split("\n")
    .filter(Boolean);

/**
 * Removes the stack's task volumes on each engine, waiting (up to `withinMs`) for Swarm to remove the
 * containers that still use them. Returns what is left, as `<engine>: <volume>`.
 */
export async function removeTaskVolumes(
  engines: string[],
  project: string,
  stack: string,
  withinMs = 60000,
): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = engines.flatMap((engine) =>
      stackVolumes(engine, project, stack)
        .filter((volume) => {
          try {
            managerDocker(engine, ["volume", "rm", volume]);
            return false;
          } catch {
            return true; // still in use by a task container Swarm has not removed yet
          }
        })
        .map((volume) => `${engine}: ${volume}`),
    );
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
