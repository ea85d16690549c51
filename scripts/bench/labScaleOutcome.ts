/**
 * The lab-scale benchmark's measurements turned into what the report shows: up and destroy seconds and
 * memory per aggregator count, what each added aggregator costs, and a line chart. Pure.
 */
import type { BenchChart, BenchTable } from "./benchmark";
import { formatSpread, median } from "./stats";

/** One `up` (until every aggregator is UP) and `down` of the lab at one aggregator count. */
export interface ScaleResult {
  aggregators: number;
  round: number;
  /** `up` until every aggregator is UP in HAProxy. */
  upSeconds: number;
  /** The `up` command alone. */
  upCommandSeconds: number;
  destroySeconds: number;
  /** Sum of the lab's containers' memory (docker stats), once every aggregator is UP. */
  containerBytes: number;
  /** Resident memory of the engine's daemons then (host-wide), and of the stack's containerd shims. */
  dockerdBytes: number;
  containerdBytes: number;
  shimBytes: number;
}

const mib = (bytes: number): number => bytes / 2 ** 20;

/** What the task counts as the lab's memory: its containers, dockerd and containerd. */
export const totalBytes = (r: ScaleResult): number => r.containerBytes + r.dockerdBytes + r.containerdBytes;

const countsOf = (results: ScaleResult[]): number[] =>
  [...new Set(results.map((r) => r.aggregators))].sort((a, b) => a - b);

const medianAt = (results: ScaleResult[], count: number, pick: (r: ScaleResult) => number): number =>
  median(results.filter((r) => r.aggregators === count).map(pick));

/** Increase of `pick` per aggregator between consecutive counts (medians), first count excluded. */
export function costPerAddedAggregator(
  results: ScaleResult[],
  pick: (r: ScaleResult) => number,
): Array<{ from: number; to: number; perAggregator: number }> {
  const counts = countsOf(results);
  return counts.slice(1).map((to, i) => {
    const from = counts[i];
    return {
      from,
      to,
      perAggregator: (medianAt(results, to, pick) - medianAt(results, from, pick)) / (to - from),
    };
  });
}

export function labScaleTables(results: ScaleResult[], agents: number): BenchTable[] {
  const cell = (count: number, pick: (r: ScaleResult) => number, digits = 1) =>
    formatSpread(results.filter((r) => r.aggregators === count).map(pick), digits);
  const memoryPer = costPerAddedAggregator(results, (r) => mib(totalBytes(r)));
  const upPer = costPerAddedAggregator(results, (r) => r.upSeconds);
  return [
    {
      title: `Up (until every aggregator is UP) and destroy, seconds; memory once all are UP, MiB (${agents} agents)`,
      header: [
        "aggregators",
        "up s",
        "up command s",
        "destroy s",
        "containers MiB",
        "dockerd MiB",
        "containerd MiB",
        "total MiB",
        "shims MiB",
      ],
      rows: countsOf(results).map((count) => [
        String(count),
        cell(count, (r) => r.upSeconds),
        cell(count, (r) => r.upCommandSeconds),
        cell(count, (r) => r.destroySeconds),
        cell(count, (r) => mib(r.containerBytes), 0),
        cell(count, (r) => mib(r.dockerdBytes), 0),
        cell(count, (r) => mib(r.containerdBytes), 0),
        cell(count, (r) => mib(totalBytes(r)), 0),
        cell(count, (r) => mib(r.shimBytes), 0),
      ]),
    },
    {
      title: "Cost of each added aggregator between two counts (medians)",
      header: ["from", "to", "up s per aggregator", "total MiB per aggregator"],
      rows: upPer.map((step, i) => [
        String(step.from),
        String(step.to),
        step.perAggregator.toFixed(2),
        memoryPer[i].perAggregator.toFixed(1),
      ]),
    },
  ];
}

export function labScaleChart(results: ScaleResult[]): BenchChart {
  const counts = countsOf(results);
  const series = (measure: string, pick: (r: ScaleResult) => number) =>
    counts.map((count) => ({ aggregators: count, measure, value: medianAt(results, count, pick) }));
  const line = (title: string, unit: string, values: Array<Record<string, unknown>>) => ({
    title,
    width: 260,
    height: 220,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "aggregators", type: "quantitative", title: "aggregators", axis: { values: counts } },
      y: { field: "value", type: "quantitative", title: unit },
      color: {
        field: "measure",
        type: "nominal",
        title: null,
        legend: { labelLimit: 200, orient: "bottom", direction: "vertical" },
      },
    },
  });
  return {
    name: "lab-scale",
    title: "Up and destroy seconds and memory against the aggregator count (medians)",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      hconcat: [
        line("Seconds", "seconds", [
          ...series("up, until all UP", (r) => r.upSeconds),
          ...series("destroy", (r) => r.destroySeconds),
        ]),
        line("Memory once all are UP", "MiB", [
          ...series("total", (r) => mib(totalBytes(r))),
          ...series("containers", (r) => mib(r.containerBytes)),
          ...series("dockerd + containerd", (r) => mib(r.dockerdBytes + r.containerdBytes)),
        ]),
      ],
      resolve: { scale: { color: "independent" } },
    },
  };
}

export function labScaleFindings(results: ScaleResult[], roundsPerCount: number): string[] {
  const counts = countsOf(results);
  const [first, last] = [counts[0], counts[counts.length - 1]];
  const overall = (pick: (r: ScaleResult) => number) =>
    (medianAt(results, last, pick) - medianAt(results, first, pick)) / (last - first);
  return [
    `From ${first} to ${last} aggregators, each added aggregator cost ${overall((r) => r.upSeconds).toFixed(2)} s of up, ` +
      `${overall((r) => r.destroySeconds).toFixed(2)} s of destroy and ${overall((r) => mib(totalBytes(r))).toFixed(1)} MiB ` +
      "(containers, dockerd and containerd).",
    `Up at ${last} aggregators took ${medianAt(results, last, (r) => r.upSeconds).toFixed(1)} s ` +
      `(${(medianAt(results, last, (r) => r.upSeconds) / medianAt(results, first, (r) => r.upSeconds)).toFixed(1)}x the ${first}-aggregator up).`,
    `The lab's containerd shims (one per container; resident sets, shared pages counted in each) held ` +
      `${medianAt(results, last, (r) => mib(r.shimBytes)).toFixed(0)} MiB more at ${last} aggregators, not in the total.`,
    `${roundsPerCount} round(s) per count${roundsPerCount === 1 ? ": one round keeps the whole run short, so no spread is shown" : ""}; ` +
      "dockerd and containerd serve every container on the host, so their share includes other stacks running meanwhile.",
  ];
}
