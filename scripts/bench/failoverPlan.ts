/**
 * What the `failover` benchmark runs (which faults, profiles, rounds, how long the quiet window lasts)
 * and its pure measures on HAProxy's stats rows: is the victim still in rotation, when did it leave
 * each backend, and what did a quiet window's check counters record. Pure.
 */
import { assertNever } from "../../components/assertNever";
import type { CheckFailure } from "../../components/haproxyConfig";
import { healthCheckProfiles, type HealthCheckProfile } from "../../components/settings";
import type { ServerCheckStats } from "../haproxyStats";

/** The ways an aggregator is taken away, each a docker command, and each undone by another. */
export const failoverFaults = ["stop", "kill", "pause", "disconnect"] as const;
export type FailoverFault = (typeof failoverFaults)[number];

/**
 * How each fault meets HAProxy's check, so which bound of haproxyConfig.ts `maxDownDetectionMs` holds
 * it. Frozen (`docker pause`), its kernel still accepts the check's connection and nothing answers;
 * otherwise the address may be gone from the network, and the check's connection attempt hangs.
 */
export const checkFailureOf: Record<FailoverFault, CheckFailure> = {
  stop: "unreachable",
  kill: "unreachable",
  pause: "no-answer",
  disconnect: "unreachable",
};

/** The goal for a frozen aggregator under the default profile: out of rotation within this. */
export const frozenGoalMs = 1000;

/** The goal for the default profile under full load: no false DOWN in a quiet window this long. */
export const quietGoalSecs = 300;

export interface FailoverPlan {
  profiles: HealthCheckProfile[];
  faults: FailoverFault[];
  /** Rounds of every fault, per profile. */
  rounds: number;
  /** The no-false-DOWN window: every aggregator healthy, agents pushing load, nothing done to them. */
  quietWindowSecs: number;
  aggregators: number;
  agents: number;
  /** Between two reads of the stats CSV while a fault acts: the resolution of a detection time. */
  detectionPollMs: number;
  /** Longest wait for a victim to leave rotation; a round without it counts as not detected. */
  detectionTimeoutMs: number;
  /** Between two reads of the stats CSV in the quiet window. */
  quietPollMs: number;
}

/**
 * Smoke: one round of stop and pause per profile and a 30 s window, within about 2.5 minutes. Full:
 * every fault, `rounds` rounds, and the 5-minute window the default profile is judged on. Three
 * aggregators in a full run, so a victim leaves two serving (two in a smoke run: quicker up and
 * down); two agents.
 */
export function failoverPlan(context: { smoke: boolean; rounds: number }): FailoverPlan {
  return {
    profiles: [...healthCheckProfiles],
    faults: context.smoke ? ["stop", "pause"] : [...failoverFaults],
    rounds: context.smoke ? 1 : context.rounds,
    quietWindowSecs: context.smoke ? 30 : quietGoalSecs,
    aggregators: context.smoke ? 2 : 3,
    agents: 2,
    detectionPollMs: 50,
    detectionTimeoutMs: 15000,
    quietPollMs: 500,
  };
}

/** The victim of a round: a different aggregator each time, so none is hit twice in a row. */
export function victimIndex(round: number, faultIndex: number, faults: number, aggregators: number): number {
  return (round * faults + faultIndex) % aggregators;
}

/** Where the victim sits: the lab's network, and the alias HAProxy's DNS discovery finds aggregators by. */
export interface VictimNetwork {
  networkName: string;
  poolAlias: string;
}

/**
 * The docker arguments of a fault and of its undoing. `docker kill` is a manual stop to Docker (its
 * restart policy ignores it), so `start` brings it back; reconnecting restores the pool alias, or
 * HAProxy would never find the aggregator again.
 */
export function faultCommands(
  fault: FailoverFault,
  victim: string,
  network: VictimNetwork,
): { inject: string[]; undo: string[] } {
  switch (fault) {
    case "stop":
      return { inject: ["stop", victim], undo: ["start", victim] };
    case "kill":
      return { inject: ["kill", victim], undo: ["start", victim] };
    case "pause":
      return { inject: ["pause", victim], undo: ["unpause", victim] };
    case "disconnect":
      return {
        inject: ["network", "disconnect", network.networkName, victim],
        undo: ["network", "connect", "--alias", network.poolAlias, network.networkName, victim],
      };
    default:
      return assertNever(fault);
  }
}

/**
 * The Docker event that says a fault is in effect: the process gone (`die`), the container frozen
 * (`pause`), cut from the network (`disconnect`, a network event naming the container).
 */
export const faultEffectEvents: Record<FailoverFault, { type: "container" | "network"; action: string }> = {
  stop: { type: "container", action: "die" },
  kill: { type: "container", action: "die" },
  pause: { type: "container", action: "pause" },
  disconnect: { type: "network", action: "disconnect" },
};

/** `docker events` arguments listing that event between two times (ms since the epoch), then exiting. */
export function faultEventArgs(
  fault: FailoverFault,
  victim: string,
  networkName: string,
  sinceMs: number,
  untilMs: number,
): string[] {
  const { type, action } = faultEffectEvents[fault];
  return [
    "events",
    "--since",
    (sinceMs / 1000).toFixed(3),
    "--until",
    (untilMs / 1000).toFixed(3),
    "--filter",
    `type=${type}`,
    "--filter",
    `event=${action}`,
    "--filter",
    type === "container" ? `container=${victim}` : `network=${networkName}`,
    "--format",
    '{{.TimeNano}} {{.Actor.ID}} {{index .Actor.Attributes "container"}}',
  ];
}

/**
 * The time (ms since the epoch) of the first listed event about the container `containerId`: its own
 * event, or a network's naming it.
 */
export function firstEventMs(output: string, containerId: string): number | undefined {
  for (const line of output.split("\n")) {
    const [timeNano, actor, container] = line.trim().split(" ");
    if (/^\d+$/.test(timeNano ?? "") && (actor === containerId || container === containerId)) {
      return Number(BigInt(timeNano) / 1000n) / 1000;
    }
  }
  return undefined;
}

/** The IPv4 address of a stats row (`10.0.0.2:19092` → `10.0.0.2`). */
const ipOf = (row: Pick<ServerCheckStats, "address">): string => row.address.split(":")[0];

/**
 * Backends that have the server at `ip` in rotation: UP, which includes `UP 1/2` (a first check
 * failed, still serving) and leaves out DOWN, MAINT and a row gone with its address.
 */
export function backendsServing(
  rows: Pick<ServerCheckStats, "backend" | "address" | "status">[],
  ip: string,
) {
  return new Set(
    rows.filter((row) => ipOf(row) === ip && row.status.startsWith("UP")).map((row) => row.backend),
  );
}

/** When a victim left each backend that served it, from successive reads of HAProxy's rows. */
export class RotationExit {
  private readonly leftAt = new Map<string, number>();

  /** `backends`: those serving the victim before the fault. */
  constructor(private readonly backends: ReadonlySet<string>) {
    if (backends.size === 0) throw new Error("the victim was in no backend's rotation before the fault");
  }

  /** A read taken `atMs` after the fault: the backends serving the victim then. */
  observe(serving: ReadonlySet<string>, atMs: number): void {
    for (const backend of this.backends) {
      if (!serving.has(backend) && !this.leftAt.has(backend)) this.leftAt.set(backend, atMs);
    }
  }

  /** When it was out of every backend (no traffic reaches it), or undefined while one still serves it. */
  outEverywhereMs(): number | undefined {
    return this.leftAt.size === this.backends.size ? Math.max(...this.leftAt.values()) : undefined;
  }

  /** When it left the first backend, or undefined. */
  outSomewhereMs(): number | undefined {
    return this.leftAt.size === 0 ? undefined : Math.min(...this.leftAt.values());
  }
}

/** Rows of the servers at `ips` that are not in rotation: `backend/slot STATUS`. */
export function serversNotUp(rows: ServerCheckStats[], ips: ReadonlySet<string>): string[] {
  return rows
    .filter((row) => ips.has(ipOf(row)) && !row.status.startsWith("UP"))
    .map((row) => `${row.backend}/${row.server} ${row.status}`);
}

export interface CheckCounterIncrease {
  /** UP→DOWN transitions (`chkdown`) of these servers between the two reads. */
  downTransitions: number;
  /** Failed checks (`chkfail`) between them: misses that did not reach `fall`. */
  failedChecks: number;
  /** Server rows compared (each aggregator once per backend). */
  servers: number;
}

/**
 * What the check counters of the servers at `ips` rose by between two reads, per slot that kept its
 * address. A counter lower than before means HAProxy restarted: all of it is new.
 */
export function checkCounterIncrease(
  before: ServerCheckStats[],
  after: ServerCheckStats[],
  ips: ReadonlySet<string>,
): CheckCounterIncrease {
  const key = (row: ServerCheckStats) => `${row.backend}/${row.server}@${row.address}`;
  const earlier = new Map(before.filter((row) => ips.has(ipOf(row))).map((row) => [key(row), row]));
  const rise = (now: number, then: number) => (now >= then ? now - then : now);
  const increase: CheckCounterIncrease = { downTransitions: 0, failedChecks: 0, servers: 0 };
  for (const row of after) {
    const then = earlier.get(key(row));
    if (!then) continue;
    increase.servers++;
    increase.downTransitions += rise(row.downTransitions, then.downTransitions);
    increase.failedChecks += rise(row.failedChecks, then.failedChecks);
  }
  return increase;
}
