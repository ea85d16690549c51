/** The benchmark framework's pure parts: summaries, the results file, the report and the CLI's flags. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { BenchRecord, Benchmark } from "../../scripts/bench/benchmark";
import { parseBenchArgs } from "../../scripts/bench/index";
import { chartFolder, chartSvg, reportMarkdown } from "../../scripts/bench/report";
import { appendResult, latestOfEach, readResults } from "../../scripts/bench/results";
import { formatRatio, formatSpread, median, quantile, spread } from "../../scripts/bench/stats";

function record(benchmark: string, startedAt: string, extra: Partial<BenchRecord> = {}): BenchRecord {
  return {
    benchmark,
    summary: `what ${benchmark} measures`,
    startedAt,
    seconds: 12,
    rounds: 3,
    smoke: false,
    machine: "2 CPUs",
    parts: "air-gapped",
    tables: [],
    charts: [],
    findings: [],
    data: {},
    ...extra,
  };
}

describe("bench stats", () => {
  it("takes the middle value, or the mean of the two middle ones", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(/no values/);
  });

  it("interpolates quantiles between ranks", () => {
    const values = Array.from({ length: 101 }, (_, i) => 100 - i);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile([10, 20], 0.5)).toBe(15);
  });

  it("summarises rounds as median with range and count, and ratios of medians", () => {
    expect(spread([3, 9, 4])).toEqual({ median: 4, min: 3, max: 9, n: 3 });
    expect(formatSpread([3, 9, 4])).toBe("4.0 (3.0–9.0, n=3)");
    expect(formatSpread([2.345], 2)).toBe("2.35");
    expect(formatSpread([])).toBe("—");
    expect(formatRatio([3, 3, 30], [2, 2, 2])).toBe("1.50×");
    expect(formatRatio([1], [0])).toBe("—");
  });
});

describe("bench results file", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-results-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("appends runs and keeps the newest of each benchmark, in the order asked", () => {
    const file = path.join(dir, "nested", "results.json");
    expect(readResults(file)).toEqual([]);
    appendResult(file, record("failover", "2026-11-26T10:00:00Z"));
    appendResult(file, record("lifecycle", "2026-11-26T11:00:00Z"));
    appendResult(file, record("failover", "2026-11-26T12:00:00Z", { seconds: 99 }));
    expect(readResults(file)).toHaveLength(3);
    const latest = latestOfEach(readResults(file), ["lifecycle", "spread", "failover"]);
    expect(latest.map((r) => [r.benchmark, r.seconds])).toEqual([
      ["lifecycle", 12],
      ["failover", 99],
    ]);
  });

  it("refuses a file that is not a list of runs", () => {
    const file = path.join(dir, "results.json");
    fs.writeFileSync(file, '{"benchmark":"x"}');
    expect(() => readResults(file)).toThrow(/not a JSON array/);
  });
});

describe("bench report", () => {
  it("shows each benchmark's machine, parts, tables, findings and charts", () => {
    const markdown = reportMarkdown(
      [
        record("lifecycle", "2026-11-26T10:00:00Z", {
          machine: "2 CPUs (Test CPU)",
          parts: "REAL: everything",
          smoke: true,
          tables: [{ title: "Cold up", header: ["tool", "s|median"], rows: [["lab", "9.1"]] }],
          findings: ["the lab is 1.2× compose"],
          charts: [{ name: "lifecycle-times", title: "Times per phase", spec: {} }],
        }),
      ],
      "2026-11-26",
    );
    expect(markdown).toContain("## lifecycle: what lifecycle measures");
    expect(markdown).toContain("Machine: 2 CPUs (Test CPU).");
    expect(markdown).toContain("Parts: REAL: everything");
    expect(markdown).toContain("smoke run");
    expect(markdown).toContain("| tool | s\\|median |\n| --- | --- |\n| lab | 9.1 |");
    expect(markdown).toContain("- the lab is 1.2× compose");
    expect(markdown).toContain(`![Times per phase](${chartFolder}/lifecycle-times.svg)`);
  });

  it("renders a Vega-Lite spec to SVG with its data", async () => {
    const svg = await chartSvg({
      data: {
        values: [
          { tool: "lab", seconds: 9 },
          { tool: "compose", seconds: 6 },
        ],
      },
      mark: "bar",
      encoding: { x: { field: "tool", type: "nominal" }, y: { field: "seconds", type: "quantitative" } },
    });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("compose");
    expect(svg).toContain("seconds");
  });
});

describe("npm run bench flags", () => {
  const fake = (name: string): Benchmark => ({
    name,
    summary: name,
    run: async () => ({ tables: [], charts: [], findings: [], data: {} }),
  });
  const all = [fake("lifecycle"), fake("failover")];

  it("runs every benchmark by default, three rounds; a smoke run one", () => {
    expect(parseBenchArgs([], all).chosen.map((b) => b.name)).toEqual(["lifecycle", "failover"]);
    expect(parseBenchArgs([], all).rounds).toBe(3);
    expect(parseBenchArgs(["--smoke"], all).rounds).toBe(1);
    expect(parseBenchArgs(["--smoke", "--rounds", "2"], all).rounds).toBe(2);
  });

  it("runs only the benchmarks named", () => {
    expect(parseBenchArgs(["failover"], all).chosen.map((b) => b.name)).toEqual(["failover"]);
  });

  it("refuses an unknown benchmark, a bad round count and an unknown flag, saying what is allowed", () => {
    expect(() => parseBenchArgs(["latency"], all)).toThrow(
      'no benchmark named "latency"; allowed: lifecycle, failover',
    );
    expect(() => parseBenchArgs(["--rounds", "0"], all)).toThrow(
      '--rounds: got "0"; allowed: a whole number from 1 to 20',
    );
    expect(() => parseBenchArgs(["--rounds"], all)).toThrow("--rounds needs a value");
    expect(() => parseBenchArgs(["--fast"], all)).toThrow("unknown option --fast");
  });
});
