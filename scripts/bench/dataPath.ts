/**
 * `data-path`: do I need the balancer at all? Events per second that K agents push through HAProxy,
 * straight to the aggregators, and with Vector's own client-side balancing (`routing.endpoints` listing
 * every aggregator), to the same two aggregators of one bench stack; with the CPU each part used and
 * the delay from an event's timestamp to its arrival.
 *
 * The agents are the benchmark's own `docker run`s of the lab's Vector image on the lab's network, each
 * sending a fixed number of `demo_logs` events over mutual TLS with the lab's host-agent certificate,
 * then exiting (Vector stops once its only source is done and its sink has delivered). What arrived is
 * read from the aggregators' own files on their data volumes (arrivalTally.ts).
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as readline from "readline";
import * as os from "os";
import * as path from "path";
import { aggregatorPorts, projectName, vectorPaths } from "../../components/constants";
import { containerTlsFiles, receivedLogsPath, renderVectorYaml } from "../../components/vectorConfig";
import { docker } from "../dockerCli";
import type { LabOutputValues } from "../labOutputs";
import { ArrivalClock, ArrivalTally, type SizeSample } from "./arrivalTally";
import type { BenchContext, BenchOutcome, Benchmark } from "./benchmark";
import { benchStackOutputs, labVerb, untilAllUp, withBenchStack, type BenchStack } from "./benchStack";
import { containerCpuSeconds } from "./containerCpu";
import {
  agentEndpoints,
  dataPathPlan,
  plannedRuns,
  type DataPathEndpoints,
  type DataPathPlan,
  type PlannedRun,
} from "./dataPathPlan";
import { dataPathCharts, dataPathFindings, dataPathTables, type DataPathRun } from "./dataPathReport";
import { loadAgentVectorConfig } from "./loadAgentConfig";

const benchmarkName = "data-path";

/**
 * Marks the benchmark's own agent containers with the bench stack's name. Not the lab's stack label:
 * the lab does not own them, and its `up` and `down` must neither count nor clear them.
 */
const loadAgentLabel = `${projectName}.bench-agent-of`;

/** The bench stack as the runs use it. */
interface DataPathLab {
  stackName: string;
  /** Start of the benchmark agents' container names: the stack's prefix. */
  namePrefix: string;
  network: string;
  /** The Vector image the lab's aggregators run. */
  image: string;
  endpoints: DataPathEndpoints;
  balancerId: string;
  aggregators: Array<{ name: string; id: string; receivedFileOnHost: string }>;
  /** A 0700 folder outside the repository: the agents' identity (`tls/`) and their vector.yaml files. */
  workDir: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `docker ARGS` without blocking the event loop (the run polls meanwhile); its stdout. */
function dockerAsync(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`docker ${args[0]} exited ${code}: ${stderr.trim()}`)),
    );
  });
}

const containerId = (name: string): string => docker("inspect", "-f", "{{.Id}}", name);

/** Bytes in the file now; 0 before the aggregator has written its first event. */
function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
}

/** The aggregator's received-events file, on the host: in its data volume, which Docker mounts from here. */
function receivedFileOnHost(aggregator: string): string {
  const source = docker(
    "inspect",
    "-f",
    `{{range .Mounts}}{{if eq .Destination "${vectorPaths.dataDir}"}}{{.Source}}{{end}}{{end}}`,
    aggregator,
  );
  try {
    if (!source) throw new Error("no volume");
    fs.accessSync(source, fs.constants.R_OK);
  } catch {
    throw new Error(
      `cannot read ${aggregator}'s data volume on this host (${JSON.stringify(source)}): the data-path ` +
        "benchmark reads the aggregators' files where Docker keeps them; run it as root on the Docker host",
    );
  }
  return path.join(source, path.relative(vectorPaths.dataDir, receivedLogsPath(aggregator)));
}

/** The host agent's certificate and key (stack secrets) and the CA, as files only root can read. */
function writeAgentIdentity(outputs: LabOutputValues, workDir: string): string {
  const tlsDir = path.join(workDir, "tls");
  fs.mkdirSync(tlsDir, { mode: 0o700 });
  const files: Array<[string, string, number]> = [
    [containerTlsFiles.caFile, outputs.caCertPem, 0o444],
    [containerTlsFiles.crtFile, outputs.hostAgentCertPem, 0o444],
    [containerTlsFiles.keyFile, outputs.hostAgentKeyPem, 0o400],
  ];
  for (const [inContainer, content, mode] of files) {
    fs.writeFileSync(path.join(tlsDir, path.basename(inContainer)), content, { mode });
  }
  return tlsDir;
}

async function prepareLab(stack: BenchStack, workDir: string): Promise<DataPathLab> {
  const outputs = await benchStackOutputs(stack);
  await untilAllUp(outputs.statsUrl, outputs.aggregatorContainerNames);
  writeAgentIdentity(outputs, workDir);
  const aggregators = outputs.aggregatorContainerNames.map((name) => ({
    name,
    id: containerId(name),
    receivedFileOnHost: receivedFileOnHost(name),
  }));
  return {
    stackName: stack.name,
    namePrefix: `${projectName}-${stack.name}`,
    network: outputs.networkName,
    image: docker("inspect", "-f", "{{.Config.Image}}", outputs.aggregatorContainerNames[0]),
    // Aggregator certificates name the container and the balancer's alias (components/lab.ts).
    endpoints: {
      balancer: outputs.balancerEndpoints.inNetwork.vector,
      aggregators: outputs.aggregatorContainerNames.map((name) => `${name}:${aggregatorPorts.vector}`),
    },
    balancerId: containerId(outputs.balancerContainerName),
    aggregators,
    workDir,
  };
}

function sumOrUndefined(values: Array<number | undefined>): number | undefined {
  return values.some((value) => value === undefined)
    ? undefined
    : values.reduce<number>((total, value) => total + (value as number), 0);
}

/** Feeds every whole line of `file` between two offsets to the tally, with its arrival time. */
async function readArrivals(
  file: string,
  from: number,
  to: number,
  clock: ArrivalClock,
  onLine: (line: string, arrivedMs: number) => void,
): Promise<void> {
  if (to <= from) return;
  const lines = readline.createInterface({
    input: fs.createReadStream(file, { start: from, end: to - 1 }),
    crlfDelay: Infinity,
  });
  let offset = from;
  for await (const line of lines) {
    offset += Buffer.byteLength(line) + 1;
    onLine(line, clock.arrivalOf(Math.min(offset, to)));
  }
}

/** One run: K agents started together, sampled until all have exited (or the time limit), then counted. */
async function runAgents(
  lab: DataPathLab,
  plan: DataPathPlan,
  run: PlannedRun,
  eventsPerAgent: number,
  runNumber: number,
): Promise<DataPathRun> {
  const names = Array.from({ length: run.agents }, (_, i) => `${lab.namePrefix}-load-${runNumber}-${i}`);
  try {
    const ids = names.map((name, i) => {
      const configFile = path.join(lab.workDir, `${name}.yaml`);
      const config = loadAgentVectorConfig({
        agentName: name,
        eventCount: eventsPerAgent,
        endpoints: agentEndpoints(run.target, i, lab.endpoints),
        tls: containerTlsFiles,
      });
      fs.writeFileSync(configFile, renderVectorYaml(config), { mode: 0o600 });
      return docker(
        "create",
        "--name",
        name,
        "--label",
        `${loadAgentLabel}=${lab.stackName}`,
        "--network",
        lab.network,
        "-v",
        `${configFile}:${vectorPaths.config}:ro`,
        "-v",
        `${path.join(lab.workDir, "tls")}:${path.dirname(containerTlsFiles.caFile)}:ro`,
        lab.image,
        "--config",
        vectorPaths.config,
      );
    });

    const startOffsets = lab.aggregators.map((aggregator) => fileSize(aggregator.receivedFileOnHost));
    const samples: SizeSample[][] = lab.aggregators.map(() => []);
    const aggregatorIds = lab.aggregators.map((aggregator) => aggregator.id);
    const balancerCpuBefore = containerCpuSeconds(lab.balancerId);
    const aggregatorCpuBefore = sumOrUndefined(aggregatorIds.map((id) => containerCpuSeconds(id)));
    // An exited container's cgroup is gone: each agent's CPU is its last reading while it ran.
    const agentCpu = new Map<string, number>();

    const started = Date.now();
    let finished = false;
    const starting = dockerAsync("start", ...names);
    // After the start: `docker wait` returns at once for a container not yet started.
    const waiting = starting.then(() => dockerAsync("wait", ...names)).finally(() => (finished = true));
    waiting.catch(() => undefined); // looked at below, once the sampling is over
    while (!finished && Date.now() - started < plan.runTimeoutMs) {
      const now = Date.now();
      lab.aggregators.forEach((aggregator, i) =>
        samples[i].push({ atMs: now, bytes: fileSize(aggregator.receivedFileOnHost) }),
      );
      for (const id of ids) {
        const seconds = containerCpuSeconds(id);
        if (seconds !== undefined) agentCpu.set(id, seconds);
      }
      await sleep(plan.pollMs);
    }
    const endMs = Date.now();
    const timedOut = !finished;
    if (timedOut) docker("rm", "-f", ...names);
    await starting;
    const exitCodes = (await waiting.catch(() => "")).split("\n").filter((line) => line.trim() !== "");
    const failed = names.filter((_, i) => exitCodes[i] !== undefined && exitCodes[i].trim() !== "0");
    if (!timedOut && failed.length > 0) {
      // Vector logs on stderr; its log names files, never their content.
      const logs = spawnSync("docker", ["logs", "--tail", "15", failed[0]], { encoding: "utf8" });
      throw new Error(
        `benchmark agent ${failed[0]} exited ${exitCodes[names.indexOf(failed[0])]}:\n${logs.stdout}${logs.stderr}`,
      );
    }

    const endOffsets = lab.aggregators.map((aggregator) => fileSize(aggregator.receivedFileOnHost));
    const cpuSeconds = {
      balancer: difference(containerCpuSeconds(lab.balancerId), balancerCpuBefore),
      aggregators: difference(
        sumOrUndefined(aggregatorIds.map((id) => containerCpuSeconds(id))),
        aggregatorCpuBefore,
      ),
      agents: sumOrUndefined(ids.map((id) => agentCpu.get(id))),
    };

    const tally = new ArrivalTally(names, eventsPerAgent);
    for (const [i, aggregator] of lab.aggregators.entries()) {
      if (endOffsets[i] < startOffsets[i]) {
        throw new Error(`${aggregator.name}'s received file shrank during a run: was it replaced?`);
      }
      const clock = new ArrivalClock(samples[i], endMs);
      await readArrivals(aggregator.receivedFileOnHost, startOffsets[i], endOffsets[i], clock, (line, at) =>
        tally.add(aggregator.name, line, at),
      );
    }
    return {
      ...tally.result(),
      round: run.round,
      agents: run.agents,
      target: run.target,
      eventsPerAgent,
      wallSeconds: (endMs - started) / 1000,
      timedOut,
      cpuSeconds,
    };
  } finally {
    try {
      docker("rm", "-f", ...names);
    } catch {
      // Already gone, or never created: nothing of this run is left.
    }
  }
}

function difference(after: number | undefined, before: number | undefined): number | undefined {
  return after === undefined || before === undefined ? undefined : after - before;
}

/** `12345 events/s, p99 120 ms, lost 0` for the progress line. */
function describeRun(run: DataPathRun): string {
  const rate = run.eventsPerSecond === undefined ? "—" : run.eventsPerSecond.toFixed(0);
  const p99 = run.delayP99Ms === undefined ? "—" : run.delayP99Ms.toFixed(0);
  return (
    `${rate} events/s over ${run.spanSeconds.toFixed(1)} s, p99 delay ${p99} ms, ` +
    `lost ${run.lost}, duplicates ${run.duplicates}${run.timedOut ? ", TIMED OUT" : ""}`
  );
}

async function runDataPath(context: BenchContext): Promise<BenchOutcome> {
  const plan = dataPathPlan(context);
  const schedule = plannedRuns(plan);
  // Two aggregators to balance over; the lab needs at least one agent of its own (1 event/s, ignored).
  const settings = { aggregators: "2", agents: "1" };
  return withBenchStack(benchmarkName, context.mode, settings, async (stack) => {
    context.progress(`stack ${stack.name}: up with 2 aggregators`);
    const up = await labVerb(stack, "up");
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-data-path-"));
    fs.chmodSync(workDir, 0o700);
    try {
      const lab = await prepareLab(stack, workDir);
      let runNumber = 0;
      if (plan.warmUpEventsPerAgent > 0) {
        context.progress(
          `warm-up: 2 agents, client-side, ${plan.warmUpEventsPerAgent} events each (not counted)`,
        );
        const warmUp = { round: 0, agents: 2, target: "client-side" } as const;
        await runAgents(lab, plan, warmUp, plan.warmUpEventsPerAgent, ++runNumber);
      }
      const runs: DataPathRun[] = [];
      for (const planned of schedule) {
        const run = await runAgents(lab, plan, planned, plan.eventsPerAgent, ++runNumber);
        runs.push(run);
        context.progress(
          `round ${planned.round}/${plan.rounds}, ${planned.agents} agent(s), ${planned.target}: ${describeRun(run)}`,
        );
      }
      return {
        tables: dataPathTables(runs, plan.pollMs),
        charts: dataPathCharts(runs),
        findings: dataPathFindings(runs, context.smoke),
        data: { plan, upSeconds: up.seconds, image: lab.image, aggregators: lab.aggregators.length, runs },
      };
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
      removeLeftAgents(stack.name);
    }
  });
}

/** Any of this stack's benchmark agents still there (a run interrupted between create and remove). */
function removeLeftAgents(stackName: string): void {
  const left = docker("ps", "-aq", "--filter", `label=${loadAgentLabel}=${stackName}`);
  if (left) docker("rm", "-f", ...left.split("\n"));
}

export const dataPathBenchmark: Benchmark = {
  name: benchmarkName,
  summary:
    "events/s, CPU and delay of 1–4 agents through HAProxy vs straight to the aggregators vs Vector's client-side balancing",
  run: runDataPath,
};
