/**
 * Fault drills under the demo apps' steady load: each injects one fault, waits for the lab to recover
 * (by itself, or through `up` for what Pulumi must repair), then checks that every line the demo apps
 * wrote from the fault on arrived (lost must be 0) and counts duplicates and the outage the agents saw.
 */
import { execFileSync, spawnSync } from "child_process";
import * as path from "path";
import { containerRunning, docker } from "../dockerCli";
import { waitUntil, type Drill, type DrillLab } from "./drill";
import { allAggregatorsUp, underLoad, type Fault } from "./underLoad";

const repoRoot = path.resolve(__dirname, "..", "..");

/**
 * Crashes a container: SIGKILL to its main process from the host, as the kernel's OOM killer or a
 * crash would end it, so its restart policy (unless-stopped) brings it back. `docker kill` would not
 * do: Docker counts it as a manual stop and ignores the restart policy (checked on this engine).
 */
function crashed(container: string, whole: () => Promise<boolean>): Fault {
  return {
    describe: `SIGKILL to the main process of ${container} (a crash); its restart policy is to bring it back`,
    inject: () => {
      const pid = Number(docker("inspect", "-f", "{{.State.Pid}}", container));
      if (!(pid > 0)) throw new Error(`${container} is not running (no main process to kill)`);
      try {
        process.kill(pid, "SIGKILL");
      } catch (error) {
        throw new Error(
          `could not kill process ${pid} of ${container} (${(error as Error).message}): ` +
            "this drill needs the rights of the Docker engine's user (root, or the rootless engine's owner)",
        );
      }
    },
    recovered: async () => containerRunning(container) && (await whole()),
  };
}

/**
 * Restarts the Docker engine: through systemd where it runs the engine, else as prepare-machine.sh
 * started it (SIGTERM to dockerd, then the script starts it again).
 */
async function restartDockerEngine(): Promise<string> {
  if (spawnSync("systemctl", ["is-active", "--quiet", "docker"]).status === 0) {
    execFileSync("systemctl", ["restart", "docker"], { stdio: "pipe" });
    return "systemctl restart docker";
  }
  const pids = spawnSync("pgrep", ["-x", "dockerd"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  if (pids.length !== 1) throw new Error(`expected one dockerd process, found ${pids.length}`);
  process.kill(Number(pids[0]), "SIGTERM");
  await waitUntil("dockerd to stop", 60000, () => {
    try {
      process.kill(Number(pids[0]), 0);
      return undefined;
    } catch {
      return true;
    }
  });
  execFileSync("bash", [path.join(repoRoot, "scripts", "prepare-machine.sh")], { stdio: "pipe" });
  return "SIGTERM to dockerd, then scripts/prepare-machine.sh started it again";
}

/**
 * A drill for a change made behind Pulumi's back to the last aggregator: it is made under load, then
 * `up` runs (once) and must repair it with the `expected` kind of change, and the lab be whole again.
 */
function repairedByUp(spec: {
  name: string;
  summary: string;
  change: (
    lab: DrillLab,
    victim: string,
  ) => { describe: string; apply: () => void; stillChanged: () => boolean };
  expected: "create" | "replace";
}): Drill {
  return {
    name: spec.name,
    summary: spec.summary,
    run: async (lab, progress) => {
      const victim = lab.aggregators[lab.aggregators.length - 1];
      const change = spec.change(lab, victim);
      let changes: Record<string, number> | undefined;
      const result = await underLoad(
        lab,
        {
          describe: change.describe,
          inject: change.apply,
          // What the victim held goes with it (its container or its place in the pool): counted from after.
          countFrom: "after-fault",
          recovered: async () => {
            if (changes === undefined && change.stillChanged()) {
              progress("running up to repair");
              changes = await lab.up();
            }
            return containerRunning(victim) && (await allAggregatorsUp(lab)());
          },
        },
        progress,
      );
      result.saw.push(`up changed: ${JSON.stringify(changes ?? {})}`);
      if (!((changes?.[spec.expected] ?? 0) >= 1)) {
        result.problems.push(`up did not ${spec.expected} ${victim}: ${JSON.stringify(changes ?? {})}`);
      }
      return result;
    },
  };
}

export const faultDrills: Drill[] = [
  {
    name: "aggregator-kill",
    summary:
      "an aggregator crashed mid-batch (SIGKILL): it restarts, and acknowledged delivery loses nothing",
    run: (lab, progress) => underLoad(lab, crashed(lab.aggregators[0], allAggregatorsUp(lab)), progress),
  },
  {
    name: "haproxy-kill",
    summary:
      "HAProxy crashed (SIGKILL) under load: it restarts by its policy, agents reconnect, nothing is lost",
    run: (lab, progress) =>
      underLoad(lab, crashed(lab.naming.balancerContainerName, allAggregatorsUp(lab)), progress),
  },
  {
    name: "agent-kill",
    summary:
      "an agent crashed (SIGKILL) and restarted: it resumes from its disk buffer and checkpoint, nothing lost",
    run: (lab, progress) =>
      underLoad(
        lab,
        crashed(lab.agents[0], async () => true),
        progress,
      ),
  },
  {
    name: "engine-restart",
    summary:
      "the Docker engine restarted: every container of the lab comes back, and up then changes nothing",
    run: async (lab, progress) => {
      const containers = [
        lab.naming.balancerContainerName,
        ...lab.aggregators,
        ...lab.agents,
        ...Object.values(lab.demoAppOfAgent),
      ];
      let how = "";
      let changes: Record<string, number> | undefined;
      const result = await underLoad(
        lab,
        {
          describe: "restart the Docker engine",
          inject: async () => {
            how = await restartDockerEngine();
          },
          recovered: async () => {
            if (!containers.every(containerRunning) || !(await allAggregatorsUp(lab)())) return false;
            if (changes === undefined) {
              progress("every container back; running up");
              changes = await lab.up();
            }
            return true;
          },
        },
        progress,
      );
      result.did.push(`(${how})`, "npm run lab -- up, once every container was back");
      result.saw.push(`up changed: ${JSON.stringify(changes)}`);
      const changed = Object.entries(changes ?? {}).filter(([kind, n]) => kind !== "same" && n > 0);
      if (changed.length > 0)
        result.problems.push(`up after the restart changed ${JSON.stringify(Object.fromEntries(changed))}`);
      return result;
    },
  },
  repairedByUp({
    name: "container-removed",
    summary:
      "an aggregator removed behind Pulumi's back: the next up (with refresh) sees it and puts it back",
    change: (_lab, victim) => ({
      describe: `docker rm -f ${victim}, then npm run lab -- up (which refreshes first)`,
      apply: () => void docker("rm", "-f", victim),
      stillChanged: () => !containerRunning(victim),
    }),
    expected: "create",
  }),
  repairedByUp({
    name: "network-disconnect",
    summary:
      "an aggregator cut from the lab's network behind Pulumi's back: HAProxy drops it, and up repairs it",
    change: (lab, victim) => ({
      describe: `docker network disconnect ${lab.naming.networkName} ${victim}, then npm run lab -- up`,
      apply: () => void docker("network", "disconnect", lab.naming.networkName, victim),
      stillChanged: () =>
        !docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", victim).includes(
          lab.naming.networkName,
        ),
    }),
    expected: "replace",
  }),
];
