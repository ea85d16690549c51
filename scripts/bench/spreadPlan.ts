/**
 * What the `spread` benchmark runs: which configurations (maxConnectionAgeSecs × balance), in which
 * order on its one stack, how many agents, how long each may take. Pure.
 */
import { balanceAlgorithms, type BalanceAlgorithm } from "../../components/settings";
import type { SettingChanges } from "../stackSettings";

/** Aggregators before the scale-out (N); it adds one. */
export const aggregatorsBefore = 2;

/** The ages measured: today's default (60) and two shorter ones. */
export const connectionAges = [10, 30, 60] as const;

/** How long the new aggregator's share must stay fair, without a break, to count. */
export const fairShareHoldSecs = 5;

/** A stats request unanswered this long is a gap in the samples, not a second of no connections. */
export const statsTimeoutMs = 5000;

export interface SpreadConfiguration {
  maxConnectionAgeSecs: number;
  balance: BalanceAlgorithm;
}

/**
 * Agents: a multiple of N+1, so that whole agents can split evenly over the aggregators after the
 * scale-out (each agent holds one connection; with 4 agents over 3, no aggregator could ever hold a
 * share within 20 % of 1/3). Twice that in a full run, so a fair share is more than one lucky agent.
 */
export function agentCount(smoke: boolean): number {
  return (aggregatorsBefore + 1) * (smoke ? 1 : 2);
}

/**
 * Smoke: 10 s with roundrobin only. Full: every age with every algorithm, ages in ascending order and
 * the algorithms back and forth (roundrobin … source, source … roundrobin), so that consecutive
 * configurations differ in one setting: an age change rolls every aggregator (~40 s), an algorithm
 * change only replaces HAProxy.
 */
export function spreadPlan(smoke: boolean): SpreadConfiguration[] {
  if (smoke) return [{ maxConnectionAgeSecs: 10, balance: "roundrobin" }];
  return connectionAges.flatMap((maxConnectionAgeSecs, i) =>
    (i % 2 === 0 ? [...balanceAlgorithms] : [...balanceAlgorithms].reverse()).map((balance) => ({
      maxConnectionAgeSecs,
      balance,
    })),
  );
}

/**
 * How long after the new aggregator is UP the benchmark waits for a fair share: two connection ages
 * (every agent has reconnected at least once by then) and 20 s for retries and HAProxy's checks.
 */
export function fairShareBoundSecs(maxConnectionAgeSecs: number): number {
  return 2 * maxConnectionAgeSecs + 20;
}

/** The stack's settings for a configuration. */
export function configurationSettings(configuration: SpreadConfiguration): SettingChanges {
  return {
    maxConnectionAgeSecs: String(configuration.maxConnectionAgeSecs),
    balance: configuration.balance,
  };
}

/** The settings to write between two measurements: back to N aggregators, and what differs. */
export function changesBetween(previous: SpreadConfiguration, next: SpreadConfiguration): SettingChanges {
  const changes: SettingChanges = { aggregators: String(aggregatorsBefore) };
  if (previous.maxConnectionAgeSecs !== next.maxConnectionAgeSecs) {
    changes.maxConnectionAgeSecs = String(next.maxConnectionAgeSecs);
  }
  if (previous.balance !== next.balance) changes.balance = next.balance;
  return changes;
}

/** `60 s, leastconn`: how tables and progress lines name a configuration. */
export function describeConfiguration(configuration: SpreadConfiguration): string {
  return `${configuration.maxConnectionAgeSecs} s, ${configuration.balance}`;
}
