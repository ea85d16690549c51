/** The lifecycle benchmark's tables, chart and findings from made-up rounds. */
import { chartSvg } from "../../scripts/bench/report";
import {
  lifecycleChart,
  lifecycleFindings,
  lifecycleTables,
  phases,
  type CycleResult,
  type Phase,
  type ToolName,
} from "../../scripts/bench/lifecycleOutcome";

/** A round of one tool where every phase took `base` seconds, but for the phases given. */
function cycle(
  tool: ToolName,
  round: number,
  base: number,
  phaseSeconds: Partial<Record<Phase, number>> = {},
): CycleResult {
  const seconds = Object.fromEntries(phases.map((p) => [p, phaseSeconds[p] ?? base])) as Record<
    Phase,
    number
  >;
  return {
    round,
    tool,
    seconds,
    commandSeconds: { coldUp: seconds.coldUp - 1, scaleOut: seconds.scaleOut - 1 },
    notes: {},
    leftovers: [],
  };
}

const rounds: CycleResult[] = [
  cycle("lab", 0, 4, { coldUp: 10, scaleOut: 3 }),
  cycle("lab", 1, 4, { coldUp: 12, scaleOut: 5 }),
  cycle("lab", 2, 4, { coldUp: 20, scaleOut: 4 }),
  ...[0, 1, 2].map((round) => cycle("compose", round, 2, { coldUp: 8, scaleOut: 6 })),
  ...[0, 1, 2].map((round) => cycle("script", round, 1, { coldUp: 6, scaleOut: 2 })),
];

describe("lifecycle outcome", () => {
  it("shows each tool's median with its spread and the lab's ratios per phase", () => {
    const [main] = lifecycleTables(rounds, 2);
    const coldUp = main.rows.find((row) => row[0].startsWith("cold up"))!;
    // lab: median 12 of 10, 12, 20; compose 8; script 6.
    expect(coldUp).toEqual([
      "cold up, until all UP",
      "12.0 (10.0–20.0, n=3)",
      "8.0 (8.0–8.0, n=3)",
      "6.0 (6.0–6.0, n=3)",
      "1.50×",
      "2.00×",
    ]);
    expect(main.rows.map((row) => row[0])).toHaveLength(phases.length);
  });

  it("judges the goals on a full run", () => {
    const findings = lifecycleFindings(rounds, false);
    // 12 / 8 = 1.5: within 1.5x; scale-out 4 s against compose's 6 s: faster.
    expect(findings[0]).toMatch(/within 1.5x of compose": met \(1\.50x/);
    expect(findings[1]).toMatch(/faster than compose's": met \(4\.0 s vs 6\.0 s/);
    const slower = lifecycleFindings(
      rounds.map((r) =>
        r.tool === "lab" ? { ...r, seconds: { ...r.seconds, coldUp: 13, scaleOut: 7 } } : r,
      ),
      false,
    );
    expect(slower[0]).toMatch(/NOT met \(1\.63x/);
    expect(slower[1]).toMatch(/NOT met \(7\.0 s vs 6\.0 s/);
  });

  it("judges nothing on a smoke run", () => {
    const findings = lifecycleFindings(rounds, true);
    expect(findings[0]).toMatch(/^Smoke run: goals not judged/);
    expect(findings.join(" ")).not.toMatch(/\bmet\b/);
  });

  it("says what compose recreated on scale-out and what destroy left", () => {
    const noted = rounds.map((r) =>
      r.tool === "compose" && r.round === 1
        ? {
            ...r,
            notes: { scaleOut: ["compose recreating vhl-compose-1-haproxy"] },
            leftovers: ["vhl-compose-1-network"],
          }
        : r,
    );
    const findings = lifecycleFindings(noted, false).join("\n");
    expect(findings).toContain("compose recreating vhl-compose-1-haproxy");
    expect(findings).toContain("compose round 2: vhl-compose-1-network");
    const clean = lifecycleFindings(rounds, false).join("\n");
    expect(clean).toContain("; recreated nothing");
    expect(clean).toContain("left no container, network or volume");
  });

  it("draws a chart Vega can render, with a bar per phase and tool", async () => {
    const chart = lifecycleChart(rounds);
    const values = (chart.spec.data as { values: Array<{ tool: string; min: number; max: number }> }).values;
    expect(values).toHaveLength(phases.length * 3);
    expect(values.find((v) => v.tool === "lab" && v.max === 20)?.min).toBe(10);
    expect(await chartSvg(chart.spec)).toMatch(/^<svg/);
  });
});
