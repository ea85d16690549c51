/**
 * The three ways to run the lab's containers that the lifecycle benchmark compares, behind one shape:
 * the lab command (Pulumi), docker-compose with a file written from the lab's containers, and a plain
 * docker CLI script. Each knows how to bring its containers up, add and remove the highest aggregator,
 * tear everything down, and what it left behind.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { projectName } from "../../components/constants";
import { labNaming } from "../../components/naming";
import { docker } from "../dockerCli";
import { stackDockerObjects } from "../labStatus";
import { labVerb, type BenchStack } from "./benchStack";
import { composeActions, composeYaml } from "./composeFile";
import { downScript, removeScript, upScript } from "./dockerScript";
import type { ToolName } from "./lifecycleOutcome";
import { volumesOnlyOf, withoutContainers, type ReplicaPlan } from "./replicaPlan";

export interface StepRun {
  seconds: number;
  /** What a person should know about this step (compose recreated a container, left a volume). */
  notes: string[];
}

export interface LifecycleTool {
  name: ToolName;
  /** Aggregator container names at this count. */
  aggregatorNames(count: number): string[];
  up(): Promise<StepRun>;
  scaleOut(): Promise<StepRun>;
  scaleIn(): Promise<StepRun>;
  down(): Promise<StepRun>;
  /** Its Docker objects (containers, networks, volumes) that exist now. */
  leftovers(): DockerObjects;
}

/** Runs a command and times it; throws with the end of its output if it fails. */
export function timedCommand(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ seconds: number; output: string }> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new Error(`${command} is not installed: run bash scripts/prepare-machine.sh, which installs it`)
          : error,
      ),
    );
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code === 0) resolve({ seconds, output });
      else reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${output.slice(-3000)}`));
    });
  });
}

const aggregatorNamesOf = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, index) => `${prefix}-aggregator-${index}`);

/** The lab command on a bench stack: `up`, `scale N+1`, `scale N`, `down`. */
export function labTool(stack: BenchStack, aggregators: number): LifecycleTool {
  const naming = labNaming(projectName, stack.name);
  const verb = async (...args: string[]): Promise<StepRun> => ({
    seconds: (await labVerb(stack, ...args)).seconds,
    notes: [],
  });
  return {
    name: "lab",
    aggregatorNames: (count) => Array.from({ length: count }, (_, index) => naming.aggregatorName(index)),
    up: () => verb("up"),
    scaleOut: () => verb("scale", String(aggregators + 1)),
    scaleIn: () => verb("scale", String(aggregators)),
    down: () => verb("down"),
    leftovers: () => {
      const { containers, networks, volumes } = stackDockerObjects(projectName, stack.name);
      return { containers, networks, volumes };
    },
  };
}

export interface DockerObjects {
  containers: string[];
  networks: string[];
  volumes: string[];
}

export const objectNames = (objects: DockerObjects): string[] => [
  ...objects.containers,
  ...objects.networks,
  ...objects.volumes,
];

/** Docker objects whose names start with `<prefix>-`: what a replica plan made. */
export function objectsNamed(prefix: string): DockerObjects {
  const list = (...args: string[]) =>
    docker(...args, "--filter", `name=${prefix}`)
      .split("\n")
      .filter((name) => name.startsWith(`${prefix}-`));
  return {
    containers: list("ps", "-a", "--format", "{{.Names}}"),
    networks: list("network", "ls", "--format", "{{.Name}}"),
    volumes: list("volume", "ls", "--format", "{{.Name}}"),
  };
}

/** Removes these objects: containers first (killed), then the volumes and networks they used. */
export function removeObjects(objects: DockerObjects): void {
  if (objects.containers.length > 0) docker("rm", "-f", ...objects.containers);
  if (objects.volumes.length > 0) docker("volume", "rm", ...objects.volumes);
  if (objects.networks.length > 0) docker("network", "rm", ...objects.networks);
}

/**
 * docker-compose with the file a compose user would keep: scaling out adds the new aggregator's service
 * to it and runs `up -d`; scaling in removes it and runs `up -d --remove-orphans`.
 * `full` is the plan with the extra aggregator; the file starts without it.
 */
export function composeTool(full: ReplicaPlan, extraAggregator: string, workDir: string): LifecycleTool {
  const base = withoutContainers(full, [extraAggregator]);
  const file = path.join(workDir, "docker-compose.yml");
  const compose = (...args: string[]) =>
    timedCommand("docker-compose", ["-p", full.prefix, "-f", file, ...args], workDir);
  const write = (plan: ReplicaPlan) => fs.writeFileSync(file, composeYaml(plan), { mode: 0o600 });
  /** What compose did beyond what the step asked for (`also`: verbs expected, reported too). */
  const touched = (output: string, ...also: string[]): string[] => {
    const actions = composeActions(output);
    return [...also, "recreating", "stopping", "removing"].flatMap((verb) =>
      (actions[verb] ?? []).map((name) => `compose ${verb} ${name}`),
    );
  };
  return {
    name: "compose",
    aggregatorNames: (count) => aggregatorNamesOf(full.prefix, count),
    up: async () => {
      write(base);
      const run = await compose("up", "-d");
      return { seconds: run.seconds, notes: touched(run.output) };
    },
    scaleOut: async () => {
      write(full);
      const run = await compose("up", "-d");
      return { seconds: run.seconds, notes: touched(run.output, "creating") };
    },
    scaleIn: async () => {
      write(base);
      const run = await compose("up", "-d", "--remove-orphans");
      // Compose removes the container, not the volume only it used (the lab does): said, then removed
      // untimed, so that the next scale-out starts on a new volume as the lab's does.
      const kept = volumesOnlyOf(full, [extraAggregator]).filter((v) =>
        objectsNamed(full.prefix).volumes.includes(v),
      );
      if (kept.length > 0) docker("volume", "rm", ...kept);
      const notes = touched(run.output).filter((note) => !note.endsWith(` ${extraAggregator}`));
      return {
        seconds: run.seconds,
        notes: [...notes, ...kept.map((v) => `compose left volume ${v} (removed afterwards, untimed)`)],
      };
    },
    down: async () => {
      write(base);
      const run = await compose("down", "--volumes", "--remove-orphans");
      return { seconds: run.seconds, notes: [] };
    },
    leftovers: () => objectsNamed(full.prefix),
  };
}

/** A docker CLI script per step: create what is missing, remove one aggregator, remove everything. */
export function scriptTool(full: ReplicaPlan, extraAggregator: string, workDir: string): LifecycleTool {
  const base = withoutContainers(full, [extraAggregator]);
  const run = async (name: string, text: string): Promise<StepRun> => {
    const file = path.join(workDir, name);
    fs.writeFileSync(file, text, { mode: 0o700 });
    return { seconds: (await timedCommand("bash", [file], workDir)).seconds, notes: [] };
  };
  return {
    name: "script",
    aggregatorNames: (count) => aggregatorNamesOf(full.prefix, count),
    up: () => run("up.sh", upScript(base)),
    scaleOut: () => run("up.sh", upScript(full)),
    scaleIn: () =>
      run("scale-in.sh", removeScript([extraAggregator], volumesOnlyOf(full, [extraAggregator]))),
    down: () => run("down.sh", downScript(base)),
    leftovers: () => objectsNamed(full.prefix),
  };
}
