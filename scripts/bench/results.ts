/** The results file: every run of every benchmark, appended (a JSON array), and the latest of each. */
import * as fs from "fs";
import * as path from "path";
import type { BenchRecord } from "./benchmark";

export function readResults(file: string): BenchRecord[] {
  if (!fs.existsSync(file)) return [];
  const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
  if (!Array.isArray(parsed)) throw new Error(`${file}: not a JSON array of benchmark runs`);
  return parsed as BenchRecord[];
}

export function appendResult(file: string, record: BenchRecord): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const all = [...readResults(file), record];
  const partial = `${file}.partial`;
  fs.writeFileSync(partial, `${JSON.stringify(all, null, 1)}\n`);
  fs.renameSync(partial, file);
}

/** The newest run of each benchmark, in the order `names` gives (benchmarks never run are left out). */
export function latestOfEach(records: BenchRecord[], names: string[]): BenchRecord[] {
  return names.flatMap((name) => {
    const runs = records.filter((r) => r.benchmark === name);
    return runs.length === 0 ? [] : [runs.reduce((a, b) => (b.startedAt > a.startedAt ? b : a))];
  });
}
