/** Every benchmark, in the order `npm run bench` runs them and the report shows them. */
import type { Benchmark } from "./benchmark";
import { spreadBenchmark } from "./spread";
import { dataPathBenchmark } from "./dataPath";
import { lifecycle } from "./lifecycle";
import { labScale } from "./labScale";
import { failoverBenchmark } from "./failover";

export const benchmarks: Benchmark[] = [
  spreadBenchmark,
  dataPathBenchmark,
  lifecycle,
  labScale,
  failoverBenchmark,
];
