/**
 * Fault drills under the demo apps' steady load: each injects one fault, waits for the lab to recover
 * (by itself, or through `up` for what Pulumi must repair), then checks that every line the demo apps
 * wrote from the fault on arrived (lost must be 0) and counts duplicates and the outage the agents saw.
 */
import { execFileSync, spawnSync } from "child_process";
import * as path from "path";
import { containerRunning, docker } from "../dockerCli";
import { DeliveryLedger, describeLost, writtenByDemoApps } from "../delivery";
import { balancerServers } from "../labStatus";
import { waitUntil, type Drill, type DrillLab, type DrillResult } from "./drill";

const repoRoot = path.resolve(__dirname, "..", "..");

/** Aggregators UP in every backend of HAProxy, by container name (matched on their addresses). */
async function aggregatorsUp(lab: DrillLab): Promise<string[]> {
  // A short timeout: while this waits, nothing is read, and the outage would look longer than it is.
  const servers = await balancerServers(lab.statsUrl, 1000).catch(() => []);
  const backends = new Set(servers.map((s) => s.backend));
  const up: string[] = [];
  for (const name of lab.aggregators) {
    let address: string;
    try {
      address = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name);
    } catch {
      continue;
    }
    const rows = servers.filter((s) => s.address.split(":")[0] === address && s.status.startsWith("UP"));
    if (address && backends.size > 0 && new Set(rows.map((r) => r.backend)).size === backends.size)
      up.push(name);
  }
  return up;
}

interface Fault {
  /** What is done, for the report. */
  describe: string;
  inject(): Promise<void> | void;
  /** True once the lab is whole again; may act (run `up`) to get there. */
  recovered(): Promise<boolean>;
  /**
   * When loss is counted from: "fault" (every line written from the fault on must arrive), or
   * "after-fault" for faults that destroy an aggregator's own file (what it held is gone with it).
   */
  countFrom?: "fault" | "after-fault";
}

/** Runs one fault under load and accounts for every line written meanwhile. */
async function underLoad(
  lab: DrillLab,
  fault: Fault,
  progress: (line: string) => void,
): Promise<DrillResult> {
  const result: DrillResult = { did: [], saw: [], numbers: {}, problems: [] };
  const ledger = new DeliveryLedger();
  const collect = () => ledger.collect(lab.aggregators);

  // Load is flowing: every agent delivered something new in the last seconds.
  collect();
  const start = writtenByDemoApps(lab.demoAppOfAgent);
  await waitUntil("every agent delivering", 60000, () => {
    collect();
    const highest = ledger.highest();
    return lab.agents.every((agent) => (highest[agent] ?? 0) > start[agent]) ? true : undefined;
  });
  result.saw.push(`every agent delivering before the fault (${lab.agents.length} agents, 1 line/s each)`);

  collect();
  ledger.resetStalls();
  let from = writtenByDemoApps(lab.demoAppOfAgent);
  const injected = Date.now();
  await fault.inject();
  result.did.push(fault.describe);
  progress(fault.describe);
  if (fault.countFrom === "after-fault") from = writtenByDemoApps(lab.demoAppOfAgent);

  const recovery = await waitUntil("the lab whole again", 120000, async () => {
    collect();
    return (await fault.recovered()) ? true : undefined;
  }).catch((error: Error) => error);
  if (recovery instanceof Error) {
    result.problems.push(recovery.message);
    return result;
  }
  result.numbers.recoveryMs = Date.now() - injected;
  result.saw.push(
    `the lab whole again ${(result.numbers.recoveryMs / 1000).toFixed(1)} s after the fault began`,
  );
  progress("recovered; waiting for every line written meanwhile");

  // Lines written until a little after recovery, and over at least 10 s, must all arrive.
  // Polling on meanwhile: the outage is measured between reads, so reads must not pause.
  const watchUntil = Math.max(Date.now() + 2000, injected + 10000);
  await waitUntil("the observation window", 20000, () => {
    collect();
    return Date.now() >= watchUntil ? true : undefined;
  });
  const to = writtenByDemoApps(lab.demoAppOfAgent);
  let accounted = ledger.account(from, to);
  await waitUntil("every line written since the fault delivered", 60000, () => {
    collect();
    accounted = ledger.account(from, to);
    return Object.values(accounted.lost).every((missing) => missing.length === 0) ? true : undefined;
  }).catch(() => undefined);

  const written = lab.agents.reduce((sum, agent) => sum + (to[agent] - from[agent]), 0);
  const lost = Object.values(accounted.lost).reduce((sum, missing) => sum + missing.length, 0);
  result.numbers.outageMs = ledger.outageMs();
  result.numbers.linesWritten = written;
  result.numbers.lostEvents = lost;
  result.numbers.duplicateEvents = accounted.duplicates;
  result.saw.push(
    `${written} lines written during the drill: ${lost} lost, ${accounted.duplicates} duplicated; ` +
      `longest an agent went without a delivery: ${(ledger.outageMs() / 1000).toFixed(1)} s`,
  );
  if (lost > 0) result.problems.push(`${lost} events lost: ${describeLost(accounted.lost)}`);
  return result;
}

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

const allUp = (lab: DrillLab) => async () => (await aggregatorsUp(lab)).length === lab.aggregators.length;

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
            return containerRunning(victim) && (await allUp(lab)());
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
    run: (lab, progress) => underLoad(lab, crashed(lab.aggregators[0], allUp(lab)), progress),
  },
  {
    name: "haproxy-kill",
    summary:
      "HAProxy crashed (SIGKILL) under load: it restarts by its policy, agents reconnect, nothing is lost",
    run: (lab, progress) => underLoad(lab, crashed(lab.naming.balancerContainerName, allUp(lab)), progress),
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
            if (!containers.every(containerRunning) || !(await allUp(lab)())) return false;
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
