/**
 * The data-path benchmark's tables, charts and findings, from its runs. Pure: the same runs always
 * give the same report, and the tests build it from runs they make up.
 */
import type { BenchChart, BenchTable } from "./benchmark";
import type { RunArrivals } from "./arrivalTally";
import { dataPathTargets, type DataPathTarget } from "./dataPathPlan";
import { formatSpread, median } from "./stats";

/** CPU seconds a part of the pipeline used during one run; undefined where no counter could be read. */
export interface PipelineCpu {
  balancer?: number;
  aggregators?: number;
  agents?: number;
}

export interface DataPathRun extends RunArrivals {
  round: number;
  agents: number;
  target: DataPathTarget;
  eventsPerAgent: number;
  /** From starting the agents until the last one exited (or the run was stopped), in seconds. */
  wallSeconds: number;
  /** Stopped at the run's time limit before every agent had finished. */
  timedOut: boolean;
  cpuSeconds: PipelineCpu;
}

/** The goal the issue set: through the balancer at least this fraction of direct's events/s. */
export const balancerGoalRatio = 0.9;

const targetTitles: Record<DataPathTarget, string> = {
  balancer: "through HAProxy",
  direct: "direct",
  "client-side": "client-side (routing.endpoints)",
};

const cpuParts: Array<{ key: keyof PipelineCpu; title: string }> = [
  { key: "balancer", title: "HAProxy" },
  { key: "aggregators", title: "aggregators" },
  { key: "agents", title: "agents" },
];

function runsOf(runs: DataPathRun[], agents: number, target: DataPathTarget): DataPathRun[] {
  return runs.filter((run) => run.agents === agents && run.target === target);
}

function agentCountsOf(runs: DataPathRun[]): number[] {
  return [...new Set(runs.map((run) => run.agents))].sort((a, b) => a - b);
}

function defined(values: Array<number | undefined>): number[] {
  return values.filter((value): value is number => value !== undefined && Number.isFinite(value));
}

function eventRates(runs: DataPathRun[]): number[] {
  return defined(runs.map((run) => run.eventsPerSecond));
}

/** Ratio of median events/s, a over b; undefined when either has none. */
export function rateRatio(a: DataPathRun[], b: DataPathRun[]): number | undefined {
  const [rateA, rateB] = [eventRates(a), eventRates(b)];
  if (rateA.length === 0 || rateB.length === 0 || median(rateB) === 0) return undefined;
  return median(rateA) / median(rateB);
}

const formatRatioValue = (ratio: number | undefined): string =>
  ratio === undefined ? "—" : `${ratio.toFixed(2)}×`;
const agentsLabel = (agents: number): string => `${agents} agent${agents === 1 ? "" : "s"}`;

/** `aggregator-1` from `vector-ha-lab-bench-…-aggregator-1`. */
const shortAggregatorName = (name: string): string => /aggregator-\d+$/.exec(name)?.[0] ?? name;

function throughputTable(runs: DataPathRun[]): BenchTable {
  return {
    title: "Events per second, first arrival to last (median of rounds, lowest–highest)",
    header: [
      "agents",
      ...dataPathTargets.map((target) => targetTitles[target]),
      "HAProxy / direct",
      "client-side / direct",
    ],
    rows: agentCountsOf(runs).map((agents) => [
      String(agents),
      ...dataPathTargets.map((target) => formatSpread(eventRates(runsOf(runs, agents, target)), 0)),
      formatRatioValue(rateRatio(runsOf(runs, agents, "balancer"), runsOf(runs, agents, "direct"))),
      formatRatioValue(rateRatio(runsOf(runs, agents, "client-side"), runsOf(runs, agents, "direct"))),
    ]),
  };
}

function deliveryTable(runs: DataPathRun[]): BenchTable {
  const aggregators = [...new Set(runs.flatMap((run) => Object.keys(run.byAggregator)))].sort();
  return {
    title: "Delivery, all rounds: events sent, lost, duplicated, and the share each aggregator received",
    header: ["agents", "target", "sent", "lost", "duplicates", ...aggregators.map(shortAggregatorName)],
    rows: agentCountsOf(runs).flatMap((agents) =>
      dataPathTargets.map((target) => {
        const these = runsOf(runs, agents, target);
        const sum = (pick: (run: DataPathRun) => number) =>
          these.reduce((total, run) => total + pick(run), 0);
        const received = sum((run) => Object.values(run.byAggregator).reduce((a, b) => a + b, 0));
        const share = (name: string) =>
          received === 0
            ? "—"
            : `${((100 * sum((run) => run.byAggregator[name] ?? 0)) / received).toFixed(0)}%`;
        return [
          String(agents),
          targetTitles[target],
          String(sum((run) => run.sent)),
          String(sum((run) => run.lost)),
          String(sum((run) => run.duplicates)),
          ...aggregators.map(share),
        ];
      }),
    ),
  };
}

function cpuTable(runs: DataPathRun[]): BenchTable {
  const cell = (these: DataPathRun[], key: keyof PipelineCpu): string => {
    const measured = these.filter((run) => run.cpuSeconds[key] !== undefined);
    if (measured.length === 0) return "—";
    const seconds = measured.map((run) => run.cpuSeconds[key] as number);
    const percent = measured
      .filter((run) => run.wallSeconds > 0)
      .map((run) => (100 * (run.cpuSeconds[key] as number)) / run.wallSeconds);
    return `${median(seconds).toFixed(2)} s${percent.length > 0 ? ` (${median(percent).toFixed(0)}%)` : ""}`;
  };
  const perEvent = (these: DataPathRun[]): string => {
    const micros = defined(
      these.map((run) => {
        const parts = cpuParts.map(({ key }) => run.cpuSeconds[key]);
        return parts.some((part) => part === undefined) || run.arrived === 0
          ? undefined
          : (1e6 * defined(parts).reduce((a, b) => a + b, 0)) / run.arrived;
      }),
    );
    return micros.length === 0 ? "—" : median(micros).toFixed(1);
  };
  return {
    title:
      "CPU per run from the containers' cgroup counters: seconds (median) and % of one core over the run",
    header: ["agents", "target", "run s", ...cpuParts.map(({ title }) => title), "all, µs per event"],
    rows: agentCountsOf(runs).flatMap((agents) =>
      dataPathTargets.map((target) => {
        const these = runsOf(runs, agents, target);
        return [
          String(agents),
          targetTitles[target],
          formatSpread(
            these.map((run) => run.wallSeconds),
            1,
          ),
          ...cpuParts.map(({ key }) => cell(these, key)),
          perEvent(these),
        ];
      }),
    ),
  };
}

function delayTable(runs: DataPathRun[], pollMs: number): BenchTable {
  return {
    title:
      `Delay at full load from an event's timestamp (agent) to its arrival (aggregator's file, looked at ` +
      `every ${pollMs} ms), ms: mostly time queued in the agent's buffer and batches`,
    header: ["agents", "target", "p50", "p99"],
    rows: agentCountsOf(runs).flatMap((agents) =>
      dataPathTargets.map((target) => {
        const these = runsOf(runs, agents, target);
        return [
          String(agents),
          targetTitles[target],
          formatSpread(defined(these.map((run) => run.delayP50Ms)), 0),
          formatSpread(defined(these.map((run) => run.delayP99Ms)), 0),
        ];
      }),
    ),
  };
}

export function dataPathTables(runs: DataPathRun[], pollMs: number): BenchTable[] {
  return [throughputTable(runs), cpuTable(runs), delayTable(runs, pollMs), deliveryTable(runs)];
}

export function dataPathCharts(runs: DataPathRun[]): BenchChart[] {
  const targetOrder = dataPathTargets.map((target) => targetTitles[target]);
  const rates = agentCountsOf(runs).flatMap((agents) =>
    dataPathTargets.flatMap((target) => {
      const values = eventRates(runsOf(runs, agents, target));
      return values.length === 0
        ? []
        : [
            {
              agents: agentsLabel(agents),
              target: targetTitles[target],
              eventsPerSecond: median(values),
              lowest: Math.min(...values),
              highest: Math.max(...values),
            },
          ];
    }),
  );
  const delays = agentCountsOf(runs).flatMap((agents) =>
    dataPathTargets.flatMap((target) =>
      (
        [
          ["p50", (run: DataPathRun) => run.delayP50Ms],
          ["p99", (run: DataPathRun) => run.delayP99Ms],
        ] as const
      ).flatMap(([quantileName, pick]) => {
        const values = defined(runsOf(runs, agents, target).map(pick));
        return values.length === 0
          ? []
          : [
              {
                agents: agentsLabel(agents),
                target: targetTitles[target],
                quantile: quantileName,
                ms: median(values),
              },
            ];
      }),
    ),
  );
  const color = {
    field: "target",
    type: "nominal",
    sort: targetOrder,
    title: "sent",
    legend: { labelLimit: 400 },
  };
  return [
    {
      name: "data-path-throughput",
      title: "Events per second by number of agents: through HAProxy, direct, client-side",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v5.json",
        title: "Events/s by agents and path (median; line: lowest–highest)",
        data: { values: rates },
        encoding: {
          x: { field: "agents", type: "ordinal", title: null },
          xOffset: { field: "target", type: "nominal", sort: targetOrder },
          color,
        },
        layer: [
          {
            mark: "bar",
            encoding: { y: { field: "eventsPerSecond", type: "quantitative", title: "events/s" } },
          },
          {
            mark: { type: "rule", color: "black" },
            encoding: { y: { field: "lowest", type: "quantitative" }, y2: { field: "highest" } },
          },
        ],
      },
    },
    {
      name: "data-path-delay",
      title: "Delay from event timestamp to arrival, p50 and p99",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v5.json",
        title: "Event timestamp to arrival (ms, median of rounds)",
        data: { values: delays },
        mark: "bar",
        encoding: {
          column: { field: "agents", type: "ordinal", title: null },
          x: { field: "quantile", type: "nominal", title: null },
          xOffset: { field: "target", type: "nominal", sort: targetOrder },
          y: { field: "ms", type: "quantitative", title: "ms" },
          color,
        },
      },
    },
  ];
}

/**
 * What the numbers say. The goal (HAProxy at least 0.9× direct at every agent count) is judged only in
 * a full run; lost events are reported in any run, since none may be lost.
 */
export function dataPathFindings(runs: DataPathRun[], smoke: boolean): string[] {
  const findings: string[] = [];
  const counts = agentCountsOf(runs);
  const ratios = (target: DataPathTarget, versus: DataPathTarget) =>
    counts.map((agents) => ({
      agents,
      ratio: rateRatio(runsOf(runs, agents, target), runsOf(runs, agents, versus)),
    }));
  const list = (items: Array<{ agents: number; ratio: number | undefined }>) =>
    items.map(({ agents, ratio }) => `${agentsLabel(agents)} ${formatRatioValue(ratio)}`).join(", ");

  if (!smoke) {
    const balancer = ratios("balancer", "direct");
    const met = balancer.every(({ ratio }) => ratio !== undefined && ratio >= balancerGoalRatio);
    findings.push(
      `Goal "through HAProxy ≥ ${balancerGoalRatio}× direct" ${met ? "met" : "NOT met"}: ${list(balancer)} (median events/s).`,
    );
    findings.push(
      `Vector's client-side balancing (routing.endpoints, no HAProxy) against direct: ${list(ratios("client-side", "direct"))}; ` +
        `against HAProxy: ${list(ratios("client-side", "balancer"))}.`,
    );
  }
  const balancerShares = defined(
    runs
      .filter((run) => run.target === "balancer")
      .map((run) => {
        const parts = cpuParts.map(({ key }) => run.cpuSeconds[key]);
        const total = defined(parts).reduce((a, b) => a + b, 0);
        return parts.some((part) => part === undefined) || total === 0
          ? undefined
          : (run.cpuSeconds.balancer as number) / total;
      }),
  );
  if (balancerShares.length > 0) {
    findings.push(
      `HAProxy used ${(100 * median(balancerShares)).toFixed(1)}% of the CPU of the runs through it ` +
        `(median; agents, HAProxy and aggregators together).`,
    );
  }
  const lost = runs.reduce((total, run) => total + run.lost, 0);
  const duplicates = runs.reduce((total, run) => total + run.duplicates, 0);
  const sent = runs.reduce((total, run) => total + run.sent, 0);
  findings.push(
    lost === 0
      ? `Every one of the ${sent} events sent arrived (${duplicates} duplicate${duplicates === 1 ? "" : "s"}).`
      : `${lost} of ${sent} events sent never arrived (${duplicates} duplicates): see the delivery table.`,
  );
  const timedOut = runs.filter((run) => run.timedOut);
  if (timedOut.length > 0) {
    findings.push(
      `${timedOut.length} run(s) hit the time limit and were stopped: ` +
        timedOut
          .map((run) => `${agentsLabel(run.agents)} ${targetTitles[run.target]} round ${run.round}`)
          .join(", "),
    );
  }
  return findings;
}
