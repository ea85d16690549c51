/**
 * `npm run bench -- --smoke` as CI runs it: every benchmark once, with small counts, on stacks of its
 * own, on this machine's mode. No timing is asserted: what must hold is that each benchmark ran to the
 * end, its run is in the results file, the report shows its tables and charts, and nothing is left.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { BenchRecord } from "../../scripts/bench/benchmark";
import { benchmarks } from "../../scripts/bench/all";
import { chartFolder } from "../../scripts/bench/report";
import { docker, repoRoot } from "../support/host";

describe("npm run bench -- --smoke", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-smoke-"));
  const resultsFile = path.join(out, "results.json");
  const reportDir = path.join(out, "report");
  let run: { status: number | null; stdout: string; stderr: string };

  beforeAll(
    () => {
      const child = spawnSync(
        "npm",
        ["run", "--silent", "bench", "--", "--smoke", "--results", resultsFile, "--report", reportDir],
        {
          cwd: repoRoot,
          encoding: "utf8",
          timeout: 25 * 60 * 1000,
        },
      );
      run = { status: child.status, stdout: child.stdout, stderr: child.stderr };
      console.log(run.stdout);
    },
    26 * 60 * 1000,
  );

  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it("runs every benchmark to the end", () => {
    if (run.status !== 0) {
      // The runner's own one-line reason first: a CI log cut short still shows it.
      const reason = run.stderr.split("\n").find((line) => line.startsWith("bench: ")) ?? "";
      throw new Error(`npm run bench -- --smoke exited ${run.status}: ${reason}\n${run.stderr.slice(-3000)}`);
    }
    for (const benchmark of benchmarks)
      expect(run.stdout).toContain(`== ${benchmark.name}: ${benchmark.summary}`);
  });

  it("appends one smoke run of each to the results file, with tables and measurements", () => {
    const records = JSON.parse(fs.readFileSync(resultsFile, "utf8")) as BenchRecord[];
    expect(records.map((r) => r.benchmark)).toEqual(benchmarks.map((b) => b.name));
    for (const record of records) {
      expect(record).toMatchObject({ smoke: true, rounds: 1 });
      expect(record.parts).toMatch(/REAL|real/);
      expect(record.tables.length).toBeGreaterThan(0);
      for (const table of record.tables) expect(table.rows.length).toBeGreaterThan(0);
      expect(record.charts.length).toBeGreaterThan(0);
    }
  });

  it("writes a report with every table and an SVG for every chart", () => {
    const report = fs.readFileSync(path.join(reportDir, "benchmarks.md"), "utf8");
    const records = JSON.parse(fs.readFileSync(resultsFile, "utf8")) as BenchRecord[];
    for (const record of records) {
      expect(report).toContain(`## ${record.benchmark}: `);
      for (const table of record.tables) expect(report).toContain(`**${table.title}**`);
      for (const chart of record.charts) {
        expect(report).toContain(`(${chartFolder}/${chart.name}.svg)`);
        const svg = fs.readFileSync(path.join(reportDir, chartFolder, `${chart.name}.svg`), "utf8");
        expect(svg.startsWith("<svg")).toBe(true);
      }
    }
  });

  it("leaves no stack, container, network, volume or settings file of its own", () => {
    const left = [
      docker("ps", "-a", "--format", "{{.Names}}"),
      docker("network", "ls", "--format", "{{.Name}}"),
      docker("volume", "ls", "--format", "{{.Name}}"),
    ]
      .join("\n")
      .split("\n")
      .filter((name) => /bench-|vhl-compose-|vhl-script-/.test(name));
    expect(left).toEqual([]);
    expect(fs.readdirSync(repoRoot).filter((file) => /^Pulumi\.bench-.*\.yaml$/.test(file))).toEqual([]);
  });
});
