/**
 * After an `up` or `down` was interrupted (Ctrl-C, a killed process, a lost machine), the state keeps
 * "pending operations": resources Pulumi began to create, update or delete without recording the end.
 * The next `up` would stop on them, and a container whose creation did finish is an orphan Pulumi does
 * not know, whose fixed name blocks the new one. This clears them safely: each object a pending
 * create left in Docker, and that carries this stack's labels, is removed (Pulumi creates it again),
 * then the operations are dropped from the state. Resources the state holds are never touched.
 */
import { docker } from "./dockerCli";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { stackDockerObjects } from "./labStatus";

interface StateResource {
  urn: string;
  type: string;
  inputs?: { name?: string };
  outputs?: { name?: string };
}

/** The Docker objects carrying the stack's labels that its state does not record: orphans. */
export async function orphanedObjects(
  stack: Stack,
  project: string,
): Promise<Array<{ kind: "container" | "volume" | "network"; name: string }>> {
  const exported = await stack.exportStack();
  const recorded = new Set(
    ((exported.deployment?.resources ?? []) as StateResource[]).map((r) => r.outputs?.name ?? r.inputs?.name),
  );
  const { containers, volumes, networks } = stackDockerObjects(project, stack.name);
  return [
    ...containers.map((name) => ({ kind: "container" as const, name })),
    ...volumes.map((name) => ({ kind: "volume" as const, name })),
    ...networks.map((name) => ({ kind: "network" as const, name })),
  ].filter((object) => !recorded.has(object.name));
}

/** Clears what an interrupted update left; returns what it did, one line each (nothing: empty). */
export async function clearInterruptedUpdate(stack: Stack, project: string): Promise<string[]> {
  const notes: string[] = [];
  const exported = await stack.exportStack();
  const pending = (exported.deployment?.pending_operations ?? []) as unknown[];
  if (pending.length > 0) {
    delete exported.deployment.pending_operations;
    await stack.importStack(exported);
    notes.push(`cleared ${pending.length} operation(s) an earlier update began and never finished`);
  }
  // Containers first: a volume or network in use cannot go.
  for (const { kind, name } of await orphanedObjects(stack, project)) {
    docker(...(kind === "container" ? ["rm", "-f", name] : [kind, "rm", name]));
    notes.push(`removed ${kind} ${name}: it carries this stack's labels but the state does not record it`);
  }
  return notes;
}

/** Whether process `pid` runs on this host. */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The file backend's lock of a stack outlives a killed `pulumi` and blocks every later command. A lock
 * taken on this host by a process that no longer runs is stale: it is removed (with its `.attrs`
 * sidecar). One whose process still runs, or taken on another host, is left, with a message saying so.
 */
export function clearStaleLocks(backendDir: string, project: string, stackName: string): string[] {
  const dir = path.join(backendDir, ".pulumi", "locks", "organization", project, stackName);
  if (!fs.existsSync(dir)) return [];
  const notes: string[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const lock = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as {
      pid?: number;
      hostname?: string;
    };
    if (lock.hostname === os.hostname() && typeof lock.pid === "number" && !processRuns(lock.pid)) {
      fs.rmSync(path.join(dir, file));
      fs.rmSync(path.join(dir, `${file}.attrs`), { force: true });
      notes.push(`removed the stale lock of pulumi process ${lock.pid}, which no longer runs`);
    } else {
      throw new Error(
        `stack ${stackName} is locked by pulumi process ${lock.pid} on ${lock.hostname}, which may still run: ` +
          `wait for it, or if it is gone, remove ${path.join(dir, file)}`,
      );
    }
  }
  return notes;
}
