/**
 * `npm run bench [-- NAME ...] [--rounds N] [--smoke] [--results FILE] [--report DIR] [--report-only]`
 * Runs the benchmarks named (all by default) on stacks of their own, prints each one's tables, appends
 * its run to the results file and writes the report (the newest run of every benchmark) with charts.
 */
import * as path from "path";
import { dockerProblem, hostNotReady } from "../../components/hostChecks";
import { realHostProbe } from "../../components/hostProbe";
import { detectLabMode } from "../labMode";
import { table } from "../labStatus";
import type { BenchContext, BenchRecord, Benchmark } from "./benchmark";
import { machineDescription } from "./machine";
import { appendResult, latestOfEach, readResults } from "./results";
import { writeReport } from "./report";
import { benchmarks } from "./all";

const repoRoot = path.resolve(__dirname, "..", "..");
const usage =
  "usage: npm run bench -- [NAME ...] [--rounds N] [--smoke] [--results FILE] [--report DIR] [--report-only]";

interface BenchArgs {
  chosen: Benchmark[];
  rounds: number;
  smoke: boolean;
  resultsFile: string;
  reportDir: string;
  reportOnly: boolean;
}

export function parseBenchArgs(argv: string[], all: Benchmark[] = benchmarks): BenchArgs {
  const args: BenchArgs = {
    chosen: [],
    rounds: 3,
    smoke: false,
    resultsFile: path.join(repoRoot, "bench", "results", "results.json"),
    reportDir: path.join(repoRoot, "bench", "report"),
    reportOnly: false,
  };
  let roundsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new Error(`${arg} needs a value; ${usage}`);
      return next;
    };
    if (arg === "--rounds") {
      const text = value();
      const rounds = Number(text);
      if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
        throw new Error(`--rounds: got ${JSON.stringify(text)}; allowed: a whole number from 1 to 20`);
      }
      args.rounds = rounds;
      roundsGiven = true;
    } else if (arg === "--smoke") args.smoke = true;
    else if (arg === "--results") args.resultsFile = path.resolve(value());
    else if (arg === "--report") args.reportDir = path.resolve(value());
    else if (arg === "--report-only") args.reportOnly = true;
    else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}; ${usage}`);
    else {
      const benchmark = all.find((b) => b.name === arg);
      if (!benchmark) {
        throw new Error(
          `no benchmark named ${JSON.stringify(arg)}; allowed: ${all.map((b) => b.name).join(", ")}`,
        );
      }
      args.chosen.push(benchmark);
    }
  }
  if (args.chosen.length === 0) args.chosen = all;
  if (args.smoke && !roundsGiven) args.rounds = 1;
  return args;
}

function printOutcome(record: BenchRecord): void {
  console.log(`\n== ${record.benchmark}: ${record.summary} (${record.seconds.toFixed(0)} s)`);
  for (const t of record.tables) console.log(`\n${t.title}\n${table(t.header, t.rows)}`);
  for (const finding of record.findings) console.log(`- ${finding}`);
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help")) {
    console.log(`${usage}\n\n${benchmarks.map((b) => `${b.name.padEnd(12)} ${b.summary}`).join("\n")}`);
    return;
  }
  const args = parseBenchArgs(argv);
  if (!args.reportOnly) {
    const noDocker = await dockerProblem(realHostProbe());
    if (noDocker !== undefined) throw new Error(hostNotReady([noDocker]));
    const mode = detectLabMode(process.env, repoRoot);
    console.error(mode.announcement);
    const machine = machineDescription();
    for (const benchmark of args.chosen) {
      const context: BenchContext = {
        mode,
        rounds: args.rounds,
        smoke: args.smoke,
        progress: (line) => console.error(`  [${benchmark.name}] ${line}`),
      };
      const startedAt = new Date().toISOString();
      const started = Date.now();
      const outcome = await benchmark.run(context);
      const record: BenchRecord = {
        benchmark: benchmark.name,
        summary: benchmark.summary,
        startedAt,
        seconds: (Date.now() - started) / 1000,
        rounds: args.rounds,
        smoke: args.smoke,
        machine,
        parts: mode.announcement.replace(/^Mode: /, ""),
        ...outcome,
      };
      appendResult(args.resultsFile, record);
      printOutcome(record);
    }
  }
  const records = latestOfEach(
    readResults(args.resultsFile),
    benchmarks.map((b) => b.name),
  );
  const report = await writeReport(records, args.reportDir);
  console.log(`\nReport: ${report} (${records.length} benchmark(s)); results: ${args.resultsFile}`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: Error) => {
    console.error(`bench: ${error.message}`);
    process.exit(1);
  });
}
