/**
 * Stacks of a benchmark's own, driven through the lab command as a user runs it (`ts-node
 * scripts/lab.ts VERB --stack NAME`, the `npm run lab` of a machine already set up): never the
 * user's lab. Each has its own settings file with ports free now, and is removed without a trace.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { projectName } from "../../components/constants";
import { docker } from "../dockerCli";
import { freeLabPorts } from "../freePort";
import { labOutputValues, type LabOutputValues } from "../labOutputs";
import type { LabMode } from "../labMode";
import { upInEveryBackend } from "../labStatus";
import { labStackOutputs, removeLabStack } from "../runner";
import { stackFile, writeStackSettings, type SettingChanges } from "../stackSettings";
import { waitUntil } from "../drills/drill";

const repoRoot = path.resolve(__dirname, "..", "..");
const backendDir = path.join(repoRoot, ".lab", "state");

export interface BenchStack {
  name: string;
  mode: LabMode;
  /** The published ports this stack was given. */
  ports: { vectorPort: number; remoteWritePort: number; statsPort: number };
}

/** A new stack's settings file: `settings` plus three ports free now. */
export async function createBenchStack(
  benchmark: string,
  mode: LabMode,
  settings: SettingChanges,
): Promise<BenchStack> {
  const name = `bench-${benchmark}-${crypto.randomBytes(2).toString("hex")}`;
  const ports = await freeLabPorts();
  fs.writeFileSync(
    stackFile(name),
    `# Written by npm run bench (${benchmark}); removed when it ends.\nconfig: {}\n`,
  );
  writeStackSettings(name, {
    ...settings,
    vectorPort: String(ports.vectorPort),
    remoteWritePort: String(ports.remoteWritePort),
    statsPort: String(ports.statsPort),
  });
  return { name, mode, ports };
}

export interface VerbRun {
  seconds: number;
  output: string;
}

/** Runs a lab verb on the stack and times it; throws with the end of its output if it fails. */
export function labVerb(stack: BenchStack, ...args: string[]): Promise<VerbRun> {
  const started = process.hrtime.bigint();
  const child = spawn(
    path.join(repoRoot, "node_modules", ".bin", "ts-node"),
    ["--transpile-only", path.join(repoRoot, "scripts", "lab.ts"), ...args, "--stack", stack.name],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code === 0) resolve({ seconds, output });
      else
        reject(
          new Error(`lab ${args.join(" ")} --stack ${stack.name} exited ${code}:\n${output.slice(-3000)}`),
        );
    });
  });
}

export async function benchStackOutputs(stack: BenchStack): Promise<LabOutputValues> {
  const values = labOutputValues(
    await labStackOutputs({ stackName: stack.name, backendDir, pulumiHome: stack.mode.pulumiHome }),
  );
  if (!values) throw new Error(`stack ${stack.name} has no outputs: is it up?`);
  return values;
}

/** Waits until every one of `aggregators` is UP in every HAProxy backend; the ms it took. */
export async function untilAllUp(
  statsUrl: string,
  aggregators: string[],
  timeoutMs = 120000,
): Promise<number> {
  const { ms } = await waitUntil(
    `every aggregator UP in HAProxy (${aggregators.join(", ")})`,
    timeoutMs,
    async () =>
      (await upInEveryBackend(statsUrl, aggregators)).length === aggregators.length ? true : undefined,
    100,
  );
  return ms;
}

/** Down (if anything of it is left in Docker), out of the backend, its settings file gone. */
export async function removeBenchStack(stack: BenchStack): Promise<void> {
  try {
    if (docker("ps", "-aq", "--filter", `label=${projectName}.stack=${stack.name}`))
      await labVerb(stack, "down");
  } finally {
    await removeLabStack({ stackName: stack.name, backendDir, pulumiHome: stack.mode.pulumiHome });
    fs.rmSync(stackFile(stack.name), { force: true });
  }
}

/** Runs `body` with a new stack, removing it whatever happens. */
export async function withBenchStack<T>(
  benchmark: string,
  mode: LabMode,
  settings: SettingChanges,
  body: (stack: BenchStack) => Promise<T>,
): Promise<T> {
  const stack = await createBenchStack(benchmark, mode, settings);
  try {
    return await body(stack);
  } finally {
    await removeBenchStack(stack);
  }
}
