/**
 * The `spread` benchmark's measurements and what they say: per second, each aggregator's agent
 * connections (HAProxy's `scur` in the Vector backend) and the lines its file holds; from them, when
 * the new aggregator took its fair share, and the events per second each one received. Pure.
 */
import type { BackendServerStats } from "../haproxyStats";

/** One look at the balancer and at the aggregators' files. */
export interface SpreadSample {
  /** Seconds since the scale-out command started. */
  atSecs: number;
  /** Agent connections per aggregator (HAProxy `scur` in the Vector backend). */
  connections: Record<string, number>;
  /** Lines each aggregator's file held (running total since the measurement began). */
  lines: Record<string, number>;
  /** Whether the new aggregator was UP in HAProxy's Vector backend. */
  newUp: boolean;
}

/** The share an aggregator must hold to be fair: 1/n, give or take `tolerance` of it. */
export function fairShareBand(aggregatorCount: number, tolerance = 0.2): { low: number; high: number } {
  if (!Number.isInteger(aggregatorCount) || aggregatorCount < 1) {
    throw new Error(`fair share: aggregator count ${aggregatorCount} is not a whole number from 1`);
  }
  const fair = 1 / aggregatorCount;
  return { low: fair * (1 - tolerance), high: fair * (1 + tolerance) };
}

/** The aggregator's part of the values (0..1); undefined when they add up to nothing. */
export function shareOf(values: Record<string, number>, aggregator: string): number | undefined {
  const total = Object.values(values).reduce((sum, v) => sum + v, 0);
  return total > 0 ? (values[aggregator] ?? 0) / total : undefined;
}

/** Each aggregator's part of the values, the aggregators named in `order`. */
export function sharesOf(values: Record<string, number>, order: string[]): Record<string, number> {
  return Object.fromEntries(order.map((name) => [name, shareOf(values, name) ?? 0]));
}

/** Seconds since the scale-out started at which the new aggregator was first seen UP. */
export function firstUpSecs(samples: SpreadSample[]): number | undefined {
  return samples.find((s) => s.newUp)?.atSecs;
}

export interface FairShareGoal {
  /** The aggregator added by the scale-out. */
  aggregator: string;
  /** Aggregators after the scale-out (N+1). */
  aggregatorCount: number;
  /** How long the share must stay fair, without a break, to count. */
  holdSecs: number;
  /** Counting starts here (seconds since the scale-out started): when the new aggregator was UP. */
  fromSecs: number;
}

/**
 * Seconds from `fromSecs` to the start of the first stretch in which the new aggregator's share of
 * connections stayed fair for `holdSecs`; undefined when no such stretch is in the samples.
 */
export function timeToFairShare(samples: SpreadSample[], goal: FairShareGoal): number | undefined {
  const { low, high } = fairShareBand(goal.aggregatorCount);
  let stretchStart: number | undefined;
  for (const sample of samples) {
    if (sample.atSecs < goal.fromSecs) continue;
    const share = shareOf(sample.connections, goal.aggregator);
    if (share === undefined || share < low || share > high) {
      stretchStart = undefined;
      continue;
    }
    stretchStart ??= sample.atSecs;
    if (sample.atSecs - stretchStart >= goal.holdSecs) return stretchStart - goal.fromSecs;
  }
  return undefined;
}

/** One point of the events-per-second chart. */
export interface EventRatePoint {
  atSecs: number;
  aggregator: string;
  eventsPerSecond: number;
}

/**
 * Events per second each aggregator received, at each sample, over the `windowSecs` before it (a
 * trailing mean: agents send in batches, so a single second is mostly 0 or a burst). An aggregator
 * missing from an earlier sample had received nothing then.
 */
export function eventRates(samples: SpreadSample[], windowSecs: number): EventRatePoint[] {
  const points: EventRatePoint[] = [];
  let from = 0;
  for (let i = 1; i < samples.length; i++) {
    const now = samples[i];
    while (from < i - 1 && samples[from + 1].atSecs <= now.atSecs - windowSecs) from++;
    const then = samples[from];
    const seconds = now.atSecs - then.atSecs;
    if (seconds <= 0) continue;
    for (const [aggregator, lines] of Object.entries(now.lines)) {
      const received = Math.max(0, lines - (then.lines[aggregator] ?? 0));
      points.push({ atSecs: now.atSecs, aggregator, eventsPerSecond: received / seconds });
    }
  }
  return points;
}

/** Lines each aggregator received over the last `windowSecs` of the samples. */
export function linesInLastWindow(samples: SpreadSample[], windowSecs: number): Record<string, number> {
  if (samples.length === 0) return {};
  const last = samples[samples.length - 1];
  const first = samples.find((s) => s.atSecs >= last.atSecs - windowSecs) ?? last;
  return Object.fromEntries(
    Object.entries(last.lines).map(([name, lines]) => [name, Math.max(0, lines - (first.lines[name] ?? 0))]),
  );
}

/**
 * From HAProxy's server rows: the connections each named aggregator holds in `backend`, and which of
 * them are UP there. `nameOfAddress` maps a container's IP address to its name; rows of addresses it
 * does not know (a container already gone) are left out.
 */
export function backendView(
  servers: BackendServerStats[],
  backend: string,
  nameOfAddress: ReadonlyMap<string, string>,
): { connections: Record<string, number>; up: string[] } {
  const connections: Record<string, number> = {};
  const up: string[] = [];
  for (const server of servers) {
    if (server.backend !== backend) continue;
    const name = nameOfAddress.get(server.address.split(":")[0]);
    if (name === undefined) continue;
    connections[name] = (connections[name] ?? 0) + server.currentSessions;
    if (server.status.startsWith("UP")) up.push(name);
  }
  return { connections, up };
}

/** Addresses in the backend's rows that `nameOfAddress` does not know yet (a container just added). */
export function unknownAddresses(
  servers: BackendServerStats[],
  backend: string,
  nameOfAddress: ReadonlyMap<string, string>,
): string[] {
  return servers
    .filter((s) => s.backend === backend && s.address !== "")
    .map((s) => s.address.split(":")[0])
    .filter((address) => !nameOfAddress.has(address));
}
