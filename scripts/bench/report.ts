/**
 * The report: Markdown with the machine and parts each benchmark ran on, its tables, findings and
 * charts. Charts are Vega-Lite specs compiled and rendered to SVG by Vega itself (headless, no
 * canvas: text widths are Vega's estimates). The Markdown is pure (reportMarkdown), the SVGs are not.
 */
import * as fs from "fs";
import * as path from "path";
import type { BenchRecord, BenchTable } from "./benchmark";

/** Charts go beside the report, in a folder of this name. */
export const chartFolder = "benchmarks";

function markdownTable(table: BenchTable): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [
    `**${table.title}**`,
    "",
    `| ${table.header.map(cell).join(" | ")} |`,
    `| ${table.header.map(() => "---").join(" | ")} |`,
    ...table.rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
  ].join("\n");
}

export function reportMarkdown(records: BenchRecord[], generatedAt: string): string {
  const sections = records.map((record) =>
    [
      `## ${record.benchmark}: ${record.summary}`,
      "",
      `Ran ${record.startedAt} for ${record.seconds.toFixed(0)} s, ${record.rounds} round(s)` +
        `${record.smoke ? " (smoke run: small counts, goals not judged)" : ""}.`,
      `Machine: ${record.machine}.`,
      `Parts: ${record.parts}`,
      "",
      ...record.tables.flatMap((table) => [markdownTable(table), ""]),
      ...(record.findings.length > 0
        ? ["Findings:", "", ...record.findings.map((finding) => `- ${finding}`), ""]
        : []),
      ...record.charts.flatMap((chart) => [`![${chart.title}](${chartFolder}/${chart.name}.svg)`, ""]),
    ].join("\n"),
  );
  return [
    "# Benchmarks",
    "",
    `Made by \`npm run bench\` (scripts/bench/) on ${generatedAt}, from the newest run of each benchmark ` +
      "in its results file. Times are medians of the rounds with the lowest–highest range and the " +
      "number of rounds; ratios are of medians measured in the same run.",
    "",
    ...sections,
  ].join("\n");
}

/** Renders a Vega-Lite spec to SVG text. */
export async function chartSvg(spec: Record<string, unknown>): Promise<string> {
  // CommonJS builds (vega 5, vega-lite 5): vega 6 is ESM with top-level await, which require() refuses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vega = require("vega") as typeof import("vega");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vegaLite = require("vega-lite") as typeof import("vega-lite");
  const compiled = vegaLite.compile(spec as unknown as import("vega-lite").TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes `<outDir>/benchmarks.md` and its charts in `<outDir>/benchmarks/`; returns the report's path. */
export async function writeReport(records: BenchRecord[], outDir: string): Promise<string> {
  const charts = path.join(outDir, chartFolder);
  fs.mkdirSync(charts, { recursive: true });
  for (const record of records) {
    for (const chart of record.charts) {
      fs.writeFileSync(path.join(charts, `${chart.name}.svg`), await chartSvg(chart.spec));
    }
  }
  const file = path.join(outDir, "benchmarks.md");
  fs.writeFileSync(file, reportMarkdown(records, new Date().toISOString()));
  return file;
}
