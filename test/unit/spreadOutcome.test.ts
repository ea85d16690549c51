/** The `spread` benchmark's tables, charts and findings (scripts/bench/spreadOutcome.ts). */
import type { BalanceAlgorithm } from "../../components/settings";
import { chartSvg } from "../../scripts/bench/report";
import { recommendedAge, shortName, spreadOutcome, type SpreadRun } from "../../scripts/bench/spreadOutcome";
import type { SpreadSample } from "../../scripts/bench/spreadShares";

const names = ["p-aggregator-0", "p-aggregator-1", "p-aggregator-2"];

/** 20 s of samples: 6 agents at 1 line/s, 3/3/0 connections until 8 s, then 2/2/2; UP at 2 s. */
function samples(): SpreadSample[] {
  return Array.from({ length: 21 }, (_, atSecs) => {
    const spread = atSecs >= 8;
    return {
      atSecs,
      connections: spread
        ? { [names[0]]: 2, [names[1]]: 2, [names[2]]: 2 }
        : { [names[0]]: 3, [names[1]]: 3, [names[2]]: 0 },
      lines: {
        [names[0]]: 3 * Math.min(atSecs, 8) + 2 * Math.max(0, atSecs - 8),
        [names[1]]: 3 * Math.min(atSecs, 8) + 2 * Math.max(0, atSecs - 8),
        [names[2]]: 2 * Math.max(0, atSecs - 8),
      },
      newUp: atSecs >= 2,
    };
  });
}

function run(
  maxConnectionAgeSecs: number,
  balance: BalanceAlgorithm,
  fairAfterSecs: number | null,
): SpreadRun {
  return {
    maxConnectionAgeSecs,
    balance,
    agents: 6,
    aggregators: names,
    settingsUpSecs: 0,
    scaleSecs: 6,
    upAfterSecs: 2,
    boundSecs: 2 * maxConnectionAgeSecs + 20,
    fairAfterSecs,
    statsMisses: 0,
    finalConnections: { [names[0]]: 2, [names[1]]: 2, [names[2]]: 2 },
    finalLines: { [names[0]]: 20, [names[1]]: 20, [names[2]]: 20 },
    samples: samples(),
  };
}

function fullRuns(times: Record<number, [number | null, number | null, number | null]>): SpreadRun[] {
  return Object.entries(times).flatMap(([age, [rr, lc, src]]) => [
    run(Number(age), "roundrobin", rr),
    run(Number(age), "leastconn", lc),
    run(Number(age), "source", src),
  ]);
}

describe("spread outcome", () => {
  it("names aggregators short", () => {
    expect(shortName("vector-ha-lab-bench-spread-1a2b-aggregator-12")).toBe("aggregator-12");
    expect(shortName("other")).toBe("other");
  });

  it("recommends the longest age at which roundrobin and leastconn spread within a minute", () => {
    expect(recommendedAge(fullRuns({ 10: [5, 4, null], 30: [20, 25, null], 60: [50, 58, null] }))).toBe(60);
    expect(recommendedAge(fullRuns({ 10: [5, 4, 3], 30: [20, 25, null], 60: [70, 58, 2] }))).toBe(30);
    expect(
      recommendedAge(fullRuns({ 10: [5, null, 3], 30: [null, 25, 1], 60: [70, 58, 2] })),
    ).toBeUndefined();
  });

  it("says in the findings which default the numbers support", () => {
    const keep = spreadOutcome(fullRuns({ 10: [5, 4, null], 30: [20, 25, null], 60: [50, 58, null] }), false);
    expect(keep.findings.join("\n")).toMatch(/today's 60 is right/);
    const change = spreadOutcome(fullRuns({ 10: [5, 4, 3], 30: [20, 25, null], 60: [70, 58, 2] }), false);
    expect(change.findings.join("\n")).toMatch(/say 30 rather than today's 60/);
    expect(change.findings.join("\n")).toMatch(/source .* in 2 of 3 runs/);
  });

  it("compares each time with its age, and names gaps in the samples", () => {
    const runs = fullRuns({ 10: [5, 4, null], 30: [20, 25, null], 60: [50, 53, null] });
    const findings = spreadOutcome(runs, false).findings.join("\n");
    // Slowest relative to its age: 53 s of 60 s (0.88), ahead of 25 of 30 (0.83) and 5 of 10 (0.5).
    expect(findings).toMatch(
      /6 of 9 runs reached a fair share, the slowest relative to its age at 0\.88 × maxConnectionAgeSecs \(53\.0 s at 60 s, leastconn\)/,
    );
    expect(findings).not.toMatch(/did not answer/);
    runs[0].statsMisses = 2;
    runs[4].statsMisses = 1;
    expect(spreadOutcome(runs, false).findings.join("\n")).toMatch(/did not answer within 5 s 3 time/);
  });

  it("judges no default in a smoke run", () => {
    const smoke = spreadOutcome([run(10, "roundrobin", 4)], true);
    expect(smoke.findings.join("\n")).toMatch(/no default judged/);
    expect(smoke.findings.join("\n")).not.toMatch(/^Default/m);
  });

  it("tabulates each run: its time, or the bound it missed, and the final shares", () => {
    const outcome = spreadOutcome([run(10, "roundrobin", 4), run(60, "source", null)], false);
    const [times, shares] = outcome.tables;
    expect(times.rows).toHaveLength(2);
    expect(times.rows[0]).toContain("4.0");
    expect(times.rows[1]).toContain("not within 140 s");
    expect(shares.rows[0]).toContain("2 / 2 / 2");
    expect(shares.rows[0]).toContain("33 % / 33 % / 33 %");
  });

  it("charts every aggregator's events per second and connections, as SVG", async () => {
    const outcome = spreadOutcome([run(10, "roundrobin", 4), run(30, "leastconn", 6)], false);
    expect(outcome.charts.map((c) => c.name)).toEqual(["spread-events-per-second", "spread-connections"]);
    const values = (outcome.charts[0].spec.data as { values: Array<Record<string, unknown>> }).values;
    expect(new Set(values.map((v) => v.aggregator))).toEqual(
      new Set(["aggregator-0", "aggregator-1", "aggregator-2"]),
    );
    // Time is counted from UP (2 s): the last sample, at 20 s, is 18 s after it.
    expect(Math.max(...values.map((v) => Number(v.secondsSinceUp)))).toBe(18);
    for (const chart of outcome.charts)
      expect(await chartSvg(chart.spec)).toMatch(/^<svg[\s\S]*aggregator-2/);
  });
});
