/**
 * The lab command: `npm run lab -- <up|preview|scale N|status|down|host-agent|drill NAME> [--stack NAME]`.
 * Runs the same program as `pulumi up` (components/lab.ts) through the Automation API on a local file
 * backend in .lab/state, creating it and the stack when missing: no account, no prompt. Stack settings
 * come from Pulumi.<stack>.yaml, so editing `aggregators` there and running `up` scales the lab.
 */
import * as fs from "fs";
import * as path from "path";
import { CommandError, type Stack, type UpResult } from "@pulumi/pulumi/automation";
import { parseDocument } from "yaml";
import { parseLabConfig, type RawSettings, type SettingName } from "../components/settings";
import { projectName } from "../components/constants";
import { dockerProblem, hostNotReady } from "../components/hostChecks";
import { realHostProbe } from "../components/hostProbe";
import { labProgram } from "../components/labProgram";
import { labNaming } from "../components/naming";
import { containersCutFromTheirNetworks } from "./drift";
import { clearInterruptedUpdate, clearStaleLocks, orphanedObjects } from "./interruptedUpdate";
import { formatDrillReport, type DrillLab, type DrillResult } from "./drills/drill";
import { drills, findDrill } from "./drills";
import { detectLabMode, type LabMode } from "./labMode";
import { balancerServers, formatStatus, labContainers, stackDockerObjects } from "./labStatus";
import { labOutputValues } from "./labOutputs";
import { labStackOutputs, openLabStack } from "./runner";

const repoRoot = path.resolve(__dirname, "..");
const backendDir = path.join(repoRoot, ".lab", "state");
const usage =
  "usage: npm run lab -- <up|preview|scale N|status|down|host-agent|drill --list|drill NAME> [--stack NAME]";

/** The stack's settings file, in the repository root. */
const stackFile = (stackName: string): string => path.join(repoRoot, `Pulumi.${stackName}.yaml`);

/**
 * The one settings path: the stack's settings as the program will get them (Pulumi.<stack>.yaml, the
 * mode's overrides, then `changes`), validated by the program's own parser before the engine starts:
 * a bad value is one message naming it, and nothing is created.
 */
function stackSettings(stackName: string, mode: LabMode, changes: RawSettings = {}): RawSettings {
  const file = stackFile(stackName);
  const fromFile = fs.existsSync(file)
    ? ((parseDocument(fs.readFileSync(file, "utf8")).toJS()?.config ?? {}) as Record<string, unknown>)
    : {};
  const settings: RawSettings = {};
  for (const [key, value] of Object.entries(fromFile)) {
    settings[key.replace(`${projectName}:`, "") as SettingName] = String(value);
  }
  for (const [key, value] of Object.entries(mode.configOverrides) as [SettingName, string][]) {
    if (settings[key] !== undefined && settings[key] !== value) {
      console.log(`Note: ${key} is ${settings[key]} in ${path.basename(file)}; this mode uses ${value}.`);
    }
    settings[key] = value;
  }
  Object.assign(settings, changes);
  parseLabConfig(settings);
  return settings;
}

/** Sets `aggregators` in Pulumi.<stack>.yaml, keeping its comments. */
function writeAggregatorCount(stackName: string, count: string): void {
  const file = stackFile(stackName);
  const document = parseDocument(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "config: {}\n");
  document.setIn(["config", `${projectName}:aggregators`], Number(count));
  fs.writeFileSync(file, document.toString());
  console.log(`Set ${projectName}:aggregators to ${count} in ${path.basename(file)}.`);
}

function openStack(stackName: string, mode: LabMode, settings: RawSettings = stackSettings(stackName, mode)) {
  return openLabStack({
    stackName,
    backendDir,
    pulumiHome: mode.pulumiHome,
    config: settings as Record<string, string>,
    program: async () => ({ ...(await labProgram()) }),
  });
}

const print = (text: string): void => {
  process.stdout.write(text);
};

/** Clears what an interrupted `up` or `down` left (scripts/interruptedUpdate.ts), saying what it did. */
async function reportInterruptedUpdate(stack: Stack): Promise<void> {
  const notes = [
    ...clearStaleLocks(backendDir, projectName, stack.name),
    ...(await clearInterruptedUpdate(stack, projectName)),
  ];
  for (const note of notes) console.log(`Interrupted before: ${note}.`);
}

/**
 * `up` that repairs what changed behind Pulumi's back: a refresh first (a removed container is seen
 * and re-created), and a container cut from its network (which a refresh does not see) is replaced.
 */
async function repairingUp(stack: Stack, onOutput?: (text: string) => void): Promise<UpResult> {
  await reportInterruptedUpdate(stack);
  const cut = await containersCutFromTheirNetworks(stack);
  for (const { reason } of cut) console.log(`Changed behind Pulumi's back: ${reason}; replacing it.`);
  return stack.up({ onOutput, color: "never", refresh: true, replace: cut.map((c) => c.urn) });
}

async function up(stackName: string, mode: LabMode, settings?: RawSettings): Promise<void> {
  const stack = await openStack(stackName, mode, settings);
  const result = await repairingUp(stack, print);
  const out = labOutputValues(result.outputs);
  if (!out) throw new Error(`stack ${stackName} has no outputs after up`);
  console.log(
    [
      "",
      `The lab is up (${mode.kind} mode, stack ${stackName}).`,
      `  Vector protocol (mTLS):      ${out.balancerEndpoints.onHost.vector}`,
      `  Prometheus remote write:     ${out.balancerEndpoints.onHost.remoteWrite}`,
      `  HAProxy stats:               ${out.statsUrl}`,
      `  HAProxy Prometheus metrics:  ${out.metricsUrl}`,
      `  Aggregators:                 ${out.aggregatorContainerNames.join(", ")}`,
      `  Agents:                      ${out.agentContainerNames.join(", ")}`,
      "Status:    npm run lab -- status",
      `Scale:     npm run lab -- scale N   (or edit aggregators in Pulumi.${stackName}.yaml, then npm run lab -- up)`,
      "Tear down: npm run lab -- down",
    ].join("\n"),
  );
}

async function status(stackName: string, mode: LabMode): Promise<void> {
  const containers = labContainers(projectName, stackName);
  if (containers.length === 0) {
    console.log(`No containers of stack ${stackName}: the lab is down.`);
    return;
  }
  // Where the stats page is, as the stack published it (its bind address and port).
  const outputs = labOutputValues(
    await labStackOutputs({ stackName, backendDir, pulumiHome: mode.pulumiHome }),
  );
  const servers = outputs
    ? await balancerServers(outputs.statsUrl).catch((error: Error) => error)
    : new Error(`stack ${stackName} has no outputs in ${backendDir}`);
  console.log(formatStatus(containers, servers));
}

async function down(stackName: string, mode: LabMode): Promise<void> {
  const stack = await openStack(stackName, mode);
  await reportInterruptedUpdate(stack);
  await stack.destroy({ onOutput: print, color: "never" });
  const left = Object.values(stackDockerObjects(projectName, stackName)).flat();
  console.log(
    left.length === 0
      ? `\nThe lab is down: no container, network, volume or image of stack ${stackName} is left.`
      : `\nStill there: ${left.join(", ")}`,
  );
}

/** `drill --list`, or `drill NAME` against the stack's running lab: the report, and exit 1 on FAIL. */
async function drill(stackName: string, mode: LabMode, name: string | undefined): Promise<void> {
  if (name === undefined || name === "--list") {
    console.log(drills.map((d) => `${d.name.padEnd(20)} ${d.summary}`).join("\n"));
    return;
  }
  const chosen = findDrill(name);
  const outputs = labOutputValues(
    await labStackOutputs({ stackName, backendDir, pulumiHome: mode.pulumiHome }),
  );
  if (!outputs || labContainers(projectName, stackName).length === 0) {
    throw new Error(`stack ${stackName} is not up: run npm run lab -- up first`);
  }
  const lab: DrillLab = {
    stackName,
    naming: labNaming(projectName, stackName),
    statsUrl: outputs.statsUrl,
    aggregators: outputs.aggregatorContainerNames,
    agents: outputs.agentContainerNames,
    demoAppOfAgent: Object.fromEntries(
      outputs.agentContainerNames.map((agent, i) => [agent, outputs.demoAppContainerNames[i]]),
    ),
    up: async () => {
      const result = await repairingUp(await openStack(stackName, mode));
      return result.summary.resourceChanges ?? {};
    },
    scale: async (aggregators) => {
      const settings = stackSettings(stackName, mode, { aggregators: String(aggregators) });
      writeAggregatorCount(stackName, String(aggregators));
      const result = await repairingUp(await openStack(stackName, mode, settings));
      return result.summary.resourceChanges ?? {};
    },
    commandLine: (...args) => ({
      command: path.join(repoRoot, "node_modules", ".bin", "ts-node"),
      args: ["--transpile-only", path.join(repoRoot, "scripts", "lab.ts"), ...args, "--stack", stackName],
    }),
    orphans: async () =>
      (await orphanedObjects(await openStack(stackName, mode), projectName)).map(
        (o) => `${o.kind} ${o.name}`,
      ),
  };
  // A drill that stops on an error still reports, as a FAIL naming the error.
  const result = await chosen
    .run(lab, (line) => console.log(`  ... ${line}`))
    .catch((error: Error): DrillResult => ({
      did: [],
      saw: [],
      numbers: {},
      problems: [`the drill stopped: ${error.stack}`],
    }));
  console.log(formatDrillReport(chosen, result));
  if (result.problems.length > 0) process.exitCode = 1;
}

async function main(argv: string[]): Promise<void> {
  const stackFlag = argv.indexOf("--stack");
  const stackName = stackFlag >= 0 ? argv[stackFlag + 1] : "dev";
  const [command, ...rest] = argv.filter((_, i) => stackFlag < 0 || (i !== stackFlag && i !== stackFlag + 1));
  if (!stackName) throw new Error(usage);
  // A stack name Docker cannot use is refused before a stack is made in the backend.
  labNaming(projectName, stackName);
  const mode = detectLabMode(process.env, repoRoot);
  // On stderr, so `host-agent > file` gets only the YAML.
  if (command !== "status") console.error(mode.announcement);
  // Every verb but the list of drills reads Docker first: one message, not a docker CLI error.
  const noDocker = rest[0] === "--list" ? undefined : await dockerProblem(realHostProbe());
  if (noDocker !== undefined) throw new Error(hostNotReady([noDocker]));
  switch (command) {
    case "up":
      return up(stackName, mode);
    case "preview": {
      const stack = await openStack(stackName, mode);
      await stack.preview({ onOutput: print, color: "never" });
      return;
    }
    case "scale": {
      if (rest.length !== 1) throw new Error(`scale takes the number of aggregators. ${usage}`);
      const settings = stackSettings(stackName, mode, { aggregators: rest[0] });
      writeAggregatorCount(stackName, rest[0]);
      return up(stackName, mode, settings);
    }
    case "status":
      return status(stackName, mode);
    case "down":
      return down(stackName, mode);
    case "host-agent": {
      // The config holds the host agent's private key: printed only on this explicit request.
      const outputs = labOutputValues(
        await labStackOutputs({ stackName, backendDir, pulumiHome: mode.pulumiHome }),
      );
      if (!outputs) throw new Error(`stack ${stackName} is not up: run npm run lab -- up`);
      print(outputs.hostAgentVectorYaml);
      return;
    }
    case "drill":
      return drill(stackName, mode, rest[0]);
    default:
      throw new Error(usage);
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  // The engine's output, its errors included, was printed as it came: say where to look, not it again.
  const message =
    error instanceof CommandError
      ? "Pulumi stopped: its errors are above, under Diagnostics."
      : error.message.split("\n").slice(0, 20).join("\n");
  console.error(`\nlab: ${message}`);
  process.exit(1);
});
