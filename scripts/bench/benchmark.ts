/**
 * What a benchmark is: it runs against stacks of its own (never the user's lab), in several rounds,
 * and returns tables a person reads, charts (Vega-Lite specs, rendered to SVG by report.ts) and its raw
 * measurements, which go to the results file so a report can be made again without running it.
 */
import type { LabMode } from "../labMode";

export interface BenchTable {
  title: string;
  header: string[];
  rows: string[][];
}

export interface BenchChart {
  /** File name of the SVG, without extension: `lifecycle-times`. */
  name: string;
  title: string;
  /** A Vega-Lite spec with its data inline (https://vega.github.io/vega-lite/docs/spec.html). */
  spec: Record<string, unknown>;
}

export interface BenchOutcome {
  tables: BenchTable[];
  charts: BenchChart[];
  /** What the numbers say, one sentence each (the goals the issue set, met or not). */
  findings: string[];
  /** The raw measurements, as the benchmark names them. */
  data: unknown;
}

export interface BenchContext {
  mode: LabMode;
  /** Rounds to repeat each measurement (the smoke run: 1). */
  rounds: number;
  /** A short run: one round, small counts, no goals enforced. */
  smoke: boolean;
  /** A line of progress, on stderr. */
  progress(line: string): void;
}

export interface Benchmark {
  name: string;
  /** One line: what it measures. */
  summary: string;
  run(context: BenchContext): Promise<BenchOutcome>;
}

/** One run of one benchmark as the results file keeps it. */
export interface BenchRecord extends BenchOutcome {
  benchmark: string;
  summary: string;
  startedAt: string;
  seconds: number;
  rounds: number;
  smoke: boolean;
  /** The machine and the parts it ran on (machine.ts). */
  machine: string;
  parts: string;
}
