/** The data-path benchmark's tables, charts and findings, from runs made up here. */
import { chartSvg } from "../../scripts/bench/report";
import type { DataPathTarget } from "../../scripts/bench/dataPathPlan";
import {
  dataPathCharts,
  dataPathFindings,
  dataPathTables,
  rateRatio,
  type DataPathRun,
} from "../../scripts/bench/dataPathReport";

function run(
  agents: number,
  target: DataPathTarget,
  eventsPerSecond: number,
  extra: Partial<DataPathRun> = {},
): DataPathRun {
  const sent = 1000 * agents;
  return {
    round: 1,
    agents,
    target,
    eventsPerAgent: 1000,
    sent,
    arrived: sent,
    lost: 0,
    duplicates: 0,
    unexpected: 0,
    spanSeconds: sent / eventsPerSecond,
    eventsPerSecond,
    delayP50Ms: 40,
    delayP99Ms: 90,
    byAggregator: { "lab-aggregator-0": sent / 2, "lab-aggregator-1": sent / 2 },
    wallSeconds: 2,
    timedOut: false,
    cpuSeconds: { balancer: 0.2, aggregators: 1, agents: 0.8 },
    ...extra,
  };
}

/** Three rounds of each target at 1 and 2 agents: HAProxy at 0.95× direct with 1 agent, 0.8× with 2. */
const runs: DataPathRun[] = [
  ...[900, 950, 1000].map((rate) => run(1, "balancer", rate)),
  ...[1000, 1000, 1100].map((rate) => run(1, "direct", rate)),
  ...[1500, 1600, 1700].map((rate) => run(1, "client-side", rate)),
  ...[1600, 1600, 1600].map((rate) => run(2, "balancer", rate)),
  ...[2000, 2000, 2000].map((rate) => run(2, "direct", rate)),
  ...[2200, 2200, 2200].map((rate) => run(2, "client-side", rate)),
];

describe("data-path report", () => {
  it("puts the median rate per target and the ratios of medians in the throughput table", () => {
    const [throughput] = dataPathTables(runs, 20);
    expect(throughput.rows[0]).toEqual([
      "1",
      "950 (900–1000, n=3)",
      "1000 (1000–1100, n=3)",
      "1600 (1500–1700, n=3)",
      "0.95×",
      "1.60×",
    ]);
    expect(throughput.rows[1].slice(4)).toEqual(["0.80×", "1.10×"]);
  });

  it("judges the goal per agent count in a full run only, and always reports delivery", () => {
    const full = dataPathFindings(runs, false);
    expect(full[0]).toMatch(/NOT met: 1 agent 0\.95×, 2 agents 0\.80×/);
    expect(full.some((finding) => /Every one of the 27000 events sent arrived/.test(finding))).toBe(true);
    const met = dataPathFindings(
      runs.filter((r) => r.agents === 1),
      false,
    );
    expect(met[0]).toMatch(/ met: 1 agent 0\.95×/);
    const smoke = dataPathFindings(runs, true);
    expect(smoke.some((finding) => /Goal/.test(finding))).toBe(false);
    expect(smoke).toHaveLength(2);
    // 0.2 s of the 2 s of CPU each made-up run used.
    expect(smoke).toContain(
      "HAProxy used 10.0% of the CPU of the runs through it (median; agents, HAProxy and aggregators together).",
    );
  });

  it("reports events lost, and runs stopped at the time limit", () => {
    const withLoss = [
      ...runs,
      run(1, "direct", 500, { arrived: 990, lost: 10, duplicates: 3, timedOut: true }),
    ];
    const findings = dataPathFindings(withLoss, true);
    expect(findings).toContain(
      "10 of 28000 events sent never arrived (3 duplicates): see the delivery table.",
    );
    expect(findings.some((finding) => /1 run\(s\) hit the time limit/.test(finding))).toBe(true);
  });

  it("shows each aggregator's share, CPU per part and per event, and the delay quantiles", () => {
    const skewed = [run(1, "balancer", 1000, { byAggregator: { "x-aggregator-0": 1000 } })];
    const [, cpu, delay, delivery] = dataPathTables(skewed, 20);
    expect(delivery.header).toEqual(["agents", "target", "sent", "lost", "duplicates", "aggregator-0"]);
    expect(delivery.rows[0]).toEqual(["1", "through HAProxy", "1000", "0", "0", "100%"]);
    expect(delivery.rows[1]).toEqual(["1", "direct", "0", "0", "0", "—"]);
    // 0.2 s of 2 s is 10% of a core; 2 s of CPU for 1000 events is 2000 µs each.
    expect(cpu.rows[0]).toEqual([
      "1",
      "through HAProxy",
      "2.0",
      "0.20 s (10%)",
      "1.00 s (50%)",
      "0.80 s (40%)",
      "2000.0",
    ]);
    expect(delay.rows[0]).toEqual(["1", "through HAProxy", "40", "90"]);
  });

  it("leaves a cell empty where a counter could not be read", () => {
    const [, cpu] = dataPathTables([run(1, "direct", 1000, { cpuSeconds: { balancer: 0.1 } })], 20);
    expect(cpu.rows[1].slice(4)).toEqual(["—", "—", "—"]);
  });

  it("has no ratio where a side has no rate", () => {
    expect(rateRatio([run(1, "balancer", 1000)], [])).toBeUndefined();
    expect(rateRatio([run(1, "balancer", 1000)], [run(1, "direct", 2000)])).toBe(0.5);
  });

  it("draws both charts", async () => {
    for (const chart of dataPathCharts(runs)) {
      const svg = await chartSvg(chart.spec);
      expect(svg).toMatch(/^<svg/);
      expect(svg).toContain("through HAProxy");
    }
  });
});
