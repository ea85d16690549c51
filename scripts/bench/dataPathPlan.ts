/**
 * What the data-path benchmark runs: the three ways an agent can reach the aggregators, how many agents
 * at once, how many events each sends, and in which order. Pure.
 */
import { assertNever } from "../../components/assertNever";

/**
 * Where benchmark agents send: HAProxy (the lab's way), straight to one aggregator each (no balancer at
 * all), or Vector's own client-side balancing (`routing.endpoints` listing every aggregator).
 */
export const dataPathTargets = ["balancer", "direct", "client-side"] as const;
export type DataPathTarget = (typeof dataPathTargets)[number];

export interface DataPathPlan {
  /** How many agents send at once, one measurement each. */
  agentCounts: number[];
  /** Events each agent sends (`demo_logs` `count`). */
  eventsPerAgent: number;
  rounds: number;
  /** A run still going after this long is stopped and reported with what arrived. */
  runTimeoutMs: number;
  /** How often the aggregators' files are looked at: the resolution of arrival times. */
  pollMs: number;
  /** Events per agent of an unrecorded first run (connections, caches), 0 for none. */
  warmUpEventsPerAgent: number;
}

/**
 * Full: 5–15 s a run on 2 cores (a busy 2-core machine moved 6–10 thousand events/s; the aggregators,
 * which write every event to a file, used the most CPU); smoke: six runs of a few seconds, within CI's 2 minutes with the stack.
 */
export function dataPathPlan(options: { smoke: boolean; rounds: number }): DataPathPlan {
  return options.smoke
    ? {
        agentCounts: [1, 2],
        eventsPerAgent: 10000,
        rounds: 1,
        runTimeoutMs: 45000,
        pollMs: 20,
        warmUpEventsPerAgent: 0,
      }
    : {
        agentCounts: [1, 2, 4],
        eventsPerAgent: 30000,
        rounds: options.rounds,
        runTimeoutMs: 120000,
        pollMs: 20,
        warmUpEventsPerAgent: 5000,
      };
}

export interface PlannedRun {
  round: number;
  agents: number;
  target: DataPathTarget;
}

/**
 * Every (round, agent count, target) once, targets in a rotating order so none always goes first
 * (after another's run, or on a machine still warming up).
 */
export function plannedRuns(plan: DataPathPlan): PlannedRun[] {
  const runs: PlannedRun[] = [];
  let turn = 0;
  for (let round = 1; round <= plan.rounds; round++) {
    for (const agents of plan.agentCounts) {
      for (let i = 0; i < dataPathTargets.length; i++) {
        runs.push({ round, agents, target: dataPathTargets[(turn + i) % dataPathTargets.length] });
      }
      turn++;
    }
  }
  return runs;
}

/** Where agents can send, as `host:port` inside the lab's network. */
export interface DataPathEndpoints {
  /** HAProxy's alias and port. */
  balancer: string;
  /** Every aggregator by container name (a name its certificate carries) and port. */
  aggregators: string[];
}

/**
 * The `routing.endpoints` of agent `agentIndex` for a target: direct spreads agents over the
 * aggregators round-robin, one aggregator each, as a person without a balancer would.
 */
export function agentEndpoints(
  target: DataPathTarget,
  agentIndex: number,
  endpoints: DataPathEndpoints,
): string[] {
  if (endpoints.aggregators.length === 0) throw new Error("no aggregators to send to");
  switch (target) {
    case "balancer":
      return [endpoints.balancer];
    case "direct":
      return [endpoints.aggregators[agentIndex % endpoints.aggregators.length]];
    case "client-side":
      return [...endpoints.aggregators];
    default:
      return assertNever(target);
  }
}
