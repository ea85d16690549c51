/**
 * The `spread` benchmark's tables, charts and findings, from its runs. Pure: the runs are measured in
 * spread.ts.
 */
import { balanceAlgorithms, settingDefaults, type BalanceAlgorithm } from "../../components/settings";
import type { BenchChart, BenchOutcome, BenchTable } from "./benchmark";
import { aggregatorsBefore, fairShareHoldSecs, statsTimeoutMs, type SpreadConfiguration } from "./spreadPlan";
import { eventRates, sharesOf, type SpreadSample } from "./spreadShares";

/** One scale-out from N to N+1 aggregators, measured. */
export interface SpreadRun extends SpreadConfiguration {
  agents: number;
  /** Aggregators after the scale-out, in index order: the last one is the new one. */
  aggregators: string[];
  /** Seconds the `up` that set this configuration took (0 for the stack's first configuration). */
  settingsUpSecs: number;
  /** Seconds the `scale` command took. */
  scaleSecs: number;
  /** Seconds from the start of the scale-out until the new aggregator was UP in HAProxy. */
  upAfterSecs: number | null;
  /** How long after UP the benchmark waited for a fair share. */
  boundSecs: number;
  /** Seconds from UP until the new aggregator's fair share began (held `fairShareHoldSecs`); null: not within the bound. */
  fairAfterSecs: number | null;
  /** Samples lost because HAProxy's stats did not answer in time (a loaded machine): gaps in the series. */
  statsMisses: number;
  /** Connections per aggregator at the last sample. */
  finalConnections: Record<string, number>;
  /** Lines per aggregator over the last `finalWindowSecs` of the run. */
  finalLines: Record<string, number>;
  samples: SpreadSample[];
}

/** Trailing window of the events-per-second chart (agents send batches: one second is too jumpy). */
export const rateWindowSecs = 5;
/** Window of the final share of events. */
export const finalWindowSecs = 10;
/** A scale-out should relieve the others within this long: the goal the ages are judged by. */
export const spreadGoalSecs = 60;
/** The algorithms whose spread the connection age governs (source follows the client's address). */
const agedAlgorithms: BalanceAlgorithm[] = ["roundrobin", "leastconn"];

/** `aggregator-2` from `vector-ha-lab-bench-spread-1a2b-aggregator-2`. */
export function shortName(containerName: string): string {
  return /(aggregator-\d+)$/.exec(containerName)?.[1] ?? containerName;
}

/** `4.0` (seconds, for a column that says so), or `not within 140 s`; `withUnit` adds " s" to a time. */
export function formatFairAfter(
  run: Pick<SpreadRun, "fairAfterSecs" | "boundSecs">,
  withUnit = false,
): string {
  if (run.fairAfterSecs === null) return `not within ${run.boundSecs} s`;
  return `${run.fairAfterSecs.toFixed(1)}${withUnit ? " s" : ""}`;
}

const percent = (share: number): string => `${Math.round(share * 100)} %`;

function timesTable(runs: SpreadRun[]): BenchTable {
  const n = aggregatorsBefore;
  return {
    title:
      `Time to fair share after scaling out from ${n} to ${n + 1} aggregators: seconds from the new one ` +
      `UP in HAProxy until it held 1/${n + 1} of the agents' connections (±20 %) for ${fairShareHoldSecs} s`,
    header: [
      "maxConnectionAgeSecs",
      "balance",
      "agents",
      "scale command (s)",
      "new one UP after (s)",
      "time to fair share (s)",
    ],
    rows: runs.map((run) => [
      String(run.maxConnectionAgeSecs),
      run.balance,
      String(run.agents),
      run.scaleSecs.toFixed(1),
      run.upAfterSecs === null ? "never" : run.upAfterSecs.toFixed(1),
      formatFairAfter(run),
    ]),
  };
}

function sharesTable(runs: SpreadRun[]): BenchTable {
  const names = runs[0]?.aggregators.map(shortName).join(" / ") ?? "";
  return {
    title: `Shares at the end of each run (${names}): agent connections, and events received in the last ${finalWindowSecs} s`,
    header: [
      "maxConnectionAgeSecs",
      "balance",
      "connections",
      "share of events",
      "new one's share of events",
    ],
    rows: runs.map((run) => {
      const eventShares = sharesOf(run.finalLines, run.aggregators);
      const newOne = run.aggregators[run.aggregators.length - 1];
      return [
        String(run.maxConnectionAgeSecs),
        run.balance,
        run.aggregators.map((name) => String(run.finalConnections[name] ?? 0)).join(" / "),
        run.aggregators.map((name) => percent(eventShares[name])).join(" / "),
        percent(eventShares[newOne]),
      ];
    }),
  };
}

/** The x axis of both charts: seconds since the new aggregator was UP (since the scale-out began if never). */
function secondsSinceUp(run: SpreadRun, atSecs: number): number {
  return Math.round((atSecs - (run.upAfterSecs ?? 0)) * 10) / 10;
}

function facetedLines(
  name: string,
  title: string,
  values: Record<string, unknown>[],
  y: { field: string; title: string },
  interpolate: string,
): BenchChart {
  return {
    name,
    title,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title,
      data: { values },
      facet: {
        row: { field: "balance", type: "nominal", sort: [...balanceAlgorithms], title: "balance" },
        column: { field: "maxConnectionAgeSecs", type: "ordinal", title: "maxConnectionAgeSecs" },
      },
      spec: {
        width: 220,
        height: 110,
        mark: { type: "line", interpolate },
        encoding: {
          x: {
            field: "secondsSinceUp",
            type: "quantitative",
            title: "seconds since the new aggregator was UP",
          },
          y: { field: y.field, type: "quantitative", title: y.title },
          color: { field: "aggregator", type: "nominal", title: "aggregator" },
        },
      },
      resolve: { scale: { x: "independent" } },
    },
  };
}

export function spreadCharts(runs: SpreadRun[]): BenchChart[] {
  const rates = runs.flatMap((run) =>
    eventRates(run.samples, rateWindowSecs).map((point) => ({
      maxConnectionAgeSecs: run.maxConnectionAgeSecs,
      balance: run.balance,
      aggregator: shortName(point.aggregator),
      secondsSinceUp: secondsSinceUp(run, point.atSecs),
      eventsPerSecond: Math.round(point.eventsPerSecond * 100) / 100,
    })),
  );
  const connections = runs.flatMap((run) =>
    run.samples.flatMap((sample) =>
      run.aggregators.map((name) => ({
        maxConnectionAgeSecs: run.maxConnectionAgeSecs,
        balance: run.balance,
        aggregator: shortName(name),
        secondsSinceUp: secondsSinceUp(run, sample.atSecs),
        connections: sample.connections[name] ?? 0,
      })),
    ),
  );
  return [
    facetedLines(
      "spread-events-per-second",
      `Events per second each aggregator received (trailing ${rateWindowSecs} s mean) around a scale-out`,
      rates,
      { field: "eventsPerSecond", title: "events/s" },
      "monotone",
    ),
    facetedLines(
      "spread-connections",
      "Agent connections each aggregator held (HAProxy scur) around a scale-out",
      connections,
      { field: "connections", title: "connections" },
      "step-after",
    ),
  ];
}

/** Per algorithm, its times by age: `roundrobin: 10 s → 4.0 s, 30 s → not within 80 s`. */
function timesByAlgorithm(runs: SpreadRun[]): string[] {
  return balanceAlgorithms
    .map((balance) => runs.filter((run) => run.balance === balance))
    .filter((own) => own.length > 0)
    .map(
      (own) =>
        `${own[0].balance}: time to fair share after UP ` +
        own
          .sort((a, b) => a.maxConnectionAgeSecs - b.maxConnectionAgeSecs)
          .map((run) => `${run.maxConnectionAgeSecs} s → ${formatFairAfter(run, true)}`)
          .join(", ") +
        ".",
    );
}

/**
 * The default the numbers support: the longest age (fewest reconnects, each a full TLS handshake)
 * at which every algorithm the age governs gave the new aggregator its fair share within
 * `spreadGoalSecs`. Undefined when no age measured for them met it.
 */
export function recommendedAge(runs: SpreadRun[]): number | undefined {
  const ages = [...new Set(runs.map((run) => run.maxConnectionAgeSecs))].sort((a, b) => b - a);
  return ages.find((age) => {
    const governed = runs.filter(
      (run) => run.maxConnectionAgeSecs === age && agedAlgorithms.includes(run.balance),
    );
    return (
      governed.length > 0 &&
      governed.every((run) => run.fairAfterSecs !== null && run.fairAfterSecs <= spreadGoalSecs)
    );
  });
}

function defaultFinding(runs: SpreadRun[]): string {
  const today = settingDefaults.maxConnectionAgeSecs;
  const ages = [...new Set(runs.map((run) => run.maxConnectionAgeSecs))].sort((a, b) => a - b);
  const cost = ages.map((age) => `${age} s: ${Math.round(3600 / age)}`).join(", ");
  const rule =
    `the longest age at which ${agedAlgorithms.join(" and ")} gave the new aggregator its fair share ` +
    `within ${spreadGoalSecs} s of UP (reconnects per agent per hour, each a full TLS handshake: ${cost})`;
  const age = recommendedAge(runs);
  if (age === undefined)
    return `Default: no age measured met the goal (${rule}); the numbers give no better default than today's ${today}.`;
  if (age === today) return `Default: today's ${today} is right by the numbers: it is ${rule}.`;
  return `Default: the numbers say ${age} rather than today's ${today}: ${age} is ${rule}.`;
}

function sourceFinding(runs: SpreadRun[]): string[] {
  const source = runs.filter((run) => run.balance === "source");
  if (source.length === 0) return [];
  const fair = source.filter((run) => run.fairAfterSecs !== null).length;
  return [
    `source hashes each agent's address (every agent has its own container IP), so the age only decides ` +
      `when agents move, not whether the new aggregator gets a fair share: it did in ${fair} of ` +
      `${source.length} runs; final connections ${source
        .map(
          (run) =>
            `${run.maxConnectionAgeSecs} s: ${run.aggregators.map((n) => run.finalConnections[n] ?? 0).join("/")}`,
        )
        .join(", ")}.`,
  ];
}

/** How the times compare with the age: a scale-out waits at most for every agent's next reconnect. */
function withinOneAgeFinding(runs: SpreadRun[]): string[] {
  const spread = runs.filter((run) => run.fairAfterSecs !== null);
  if (spread.length === 0) return [];
  const worst = spread.reduce((a, b) =>
    (b.fairAfterSecs ?? 0) / b.maxConnectionAgeSecs > (a.fairAfterSecs ?? 0) / a.maxConnectionAgeSecs ? b : a,
  );
  const ratio = (worst.fairAfterSecs ?? 0) / worst.maxConnectionAgeSecs;
  return [
    `${spread.length} of ${runs.length} runs reached a fair share, the slowest relative to its age at ` +
      `${ratio.toFixed(2)} × maxConnectionAgeSecs (${worst.fairAfterSecs?.toFixed(1)} s at ${worst.maxConnectionAgeSecs} s, ` +
      `${worst.balance}): the wait is for the agents' next reconnect, so where in their connection age ` +
      `the scale-out falls decides each time, and the age bounds it.`,
  ];
}

function statsMissesFinding(runs: SpreadRun[]): string[] {
  const misses = runs.reduce((sum, run) => sum + run.statsMisses, 0);
  if (misses === 0) return [];
  return [
    `HAProxy's stats did not answer within ${statsTimeoutMs / 1000} s ${misses} time(s) (a loaded machine): those seconds are ` +
      `gaps in the series, and a time from UP is as late as the first answer after the gap.`,
  ];
}

export function spreadFindings(runs: SpreadRun[], smoke: boolean): string[] {
  const agents = runs[0]?.agents ?? 0;
  const method =
    `Share judged by agent connections per aggregator (HAProxy scur, Vector backend, every second): each of ` +
    `the ${agents} agents holds one connection and its demo app writes a fixed 1 line/s (no setting changes ` +
    `that rate), so the share of connections is the share of events per second, seen at once; the lines ` +
    `each aggregator's file received are too few per second (batches of 0 or several) to judge a ±20 % band ` +
    `quickly, and are charted and reported as a cross-check.`;
  const findings = [
    method,
    ...timesByAlgorithm(runs),
    ...withinOneAgeFinding(runs),
    ...sourceFinding(runs),
    ...statsMissesFinding(runs),
  ];
  if (smoke) {
    findings.push("Smoke run: one configuration, one round; no default judged.");
    return findings;
  }
  findings.push(defaultFinding(runs));
  findings.push(
    `One round per configuration (${runs.length} configurations, each waiting up to 2 × age + 20 s): ` +
      `three rounds would pass ~15 minutes. Each time is one draw of where in its agents' connection age ` +
      `the scale-out fell.`,
  );
  return findings;
}

export function spreadOutcome(runs: SpreadRun[], smoke: boolean): BenchOutcome {
  return {
    tables: [timesTable(runs), sharesTable(runs)],
    charts: spreadCharts(runs),
    findings: spreadFindings(runs, smoke),
    data: { runs },
  };
}
