/**
 * The lab command: `npm run lab -- <up|preview|scale N|status|watch|down|host-agent|drill NAME> [--stack NAME]`.
 * Runs the same program as `pulumi up` (components/lab.ts) through the Automation API on a local file
 * backend in .lab/state, creating it and the stack when missing: no account, no prompt. Stack settings
 * come from Pulumi.<stack>.yaml, so editing `aggregators` there and running `up` scales the lab.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { CommandError, type Stack } from "@pulumi/pulumi/automation";
import { parseLabConfig, type RawSettings, type Target } from "../components/settings";
import { projectName } from "../components/constants";
import { dockerProblem, hostNotReady } from "../components/hostChecks";
import { realHostProbe } from "../components/hostProbe";
import { labProgram } from "../components/labProgram";
import { labNaming } from "../components/naming";
import { containersCutFromTheirNetworks } from "./drift";
import { rollingUp, type RollingUpResult } from "./rollingUp";
import { clearInterruptedUpdate, clearStaleLocks, orphanedObjects } from "./interruptedUpdate";
import { formatDrillReport, type DrillLab, type DrillResult } from "./drills/drill";
import { drills, findDrill } from "./drills";
import { detectLabMode, type LabMode } from "./labMode";
import { balancerServers, formatStatus, labContainers, stackDockerObjects } from "./labStatus";
import { labOutputValues, swarmOutputValues, swarmUpSummary } from "./labOutputs";
import { reachableEngines, removeTaskVolumes } from "./swarmVolumes";
import { balancerViews, formatSwarmStatus, swarmNodes, swarmStackObjects, swarmTasks } from "./swarmStatus";
import { commandErrorSummary, labStackOutputs, openLabStack } from "./runner";
import { caRotationPhases, type RotationPhase } from "./caRotation";
import { stackSettings, writeStackSettings, type SettingChanges } from "./stackSettings";
import { labPrivateKeys } from "./stateSecrets";
import { runWatch } from "./watchScreen";
import { snapshotTaker } from "./watchSources";
import { parseFramesOption, watchFrame } from "./watchView";

const repoRoot = path.resolve(__dirname, "..");
const backendDir = path.join(repoRoot, ".lab", "state");
const usage =
  "usage: npm run lab -- <up|preview|scale N|rotate-ca|status|watch [--frames N]|down|host-agent|drill --list|drill NAME> [--stack NAME]\n" +
  "       npm run lab -- cluster <up [N]|status|down>   (a local Docker Swarm for target swarm: docs/swarm.md)";

/** Containers the program keeps as they run, while a rolling `up` replaces them one at a time. */
const heldContainers = new Set<string>();

function openStack(stackName: string, mode: LabMode, settings: RawSettings = stackSettings(stackName, mode)) {
  if (mode.kind === "standins" && settings.target === "swarm") {
    throw new Error(
      'target: got "swarm"; allowed: docker in stand-ins mode (the stand-in docker plugin has no Swarm ' +
        "services, secrets or configs): run with the bundle's real plugins (LAB_BUNDLE=DIR) or a full Pulumi installation",
    );
  }
  return openLabStack({
    stackName,
    backendDir,
    pulumiHome: mode.pulumiHome,
    config: settings as Record<string, string>,
    program: async () => ({ ...(await labProgram(realHostProbe(), { heldContainers })) }),
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
 * Containers to replace roll one at a time (rollingUp.ts).
 */
async function repairingUp(
  stack: Stack,
  onOutput?: (text: string) => void,
  target: Target = "docker",
): Promise<RollingUpResult> {
  await reportInterruptedUpdate(stack);
  if (target === "swarm") return swarmUp(stack, onOutput);
  const cut = await containersCutFromTheirNetworks(stack);
  for (const { reason } of cut) console.log(`Changed behind Pulumi's back: ${reason}; replacing it.`);
  return rollingUp(stack, {
    onOutput,
    log: (line) => console.log(`Rolling: ${line}.`),
    replace: cut.map((c) => c.urn),
    statsUrl: async () => labOutputValues(await stack.outputs())?.statsUrl,
    hold: (names) => {
      heldContainers.clear();
      for (const name of names) heldContainers.add(name);
    },
  });
}

/** Writes `changes` to the stack file (after checking them) and runs the repairing, rolling `up`. */
async function configuredUp(
  stackName: string,
  mode: LabMode,
  changes: SettingChanges,
  onOutput?: (text: string) => void,
): Promise<RollingUpResult> {
  const settings = stackSettings(stackName, mode, changes);
  if (Object.keys(changes).length > 0) writeStackSettings(stackName, changes);
  return repairingUp(await openStack(stackName, mode, settings), onOutput, parseLabConfig(settings).target);
}

/**
 * `up` on the swarm target: Swarm itself rolls each service's tasks (swarmService.ts `updateConfig`),
 * and the provider waits until they have converged.
 */
async function swarmUp(stack: Stack, onOutput?: (text: string) => void): Promise<RollingUpResult> {
  const result = await stack.up({ onOutput, color: "never", refresh: true });
  const changes = Object.fromEntries(
    Object.entries(result.summary.resourceChanges ?? {}).filter(([op]) => op !== "same"),
  ) as Record<string, number>;
  return { outputs: result.outputs, changes, rolled: [] };
}

async function up(stackName: string, mode: LabMode, changes: SettingChanges = {}): Promise<void> {
  const { outputs } = await configuredUp(stackName, mode, changes, print);
  const swarm = swarmOutputValues(outputs);
  if (swarm) {
    console.log(swarmUpSummary(stackName, mode, swarm));
    return;
  }
  const out = labOutputValues(outputs);
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

/**
 * `rotate-ca`: a new CA generation and every certificate and key from it, in three rolled phases
 * (caRotation.ts), resuming a rotation that was cut short. Returns each phase with its duration.
 */
async function rotateCa(
  stackName: string,
  mode: LabMode,
): Promise<Array<{ phase: RotationPhase; seconds: number; rolled: number }>> {
  const config = parseLabConfig(stackSettings(stackName, mode));
  const phases = caRotationPhases({ generation: config.caGeneration, alsoTrusted: config.caAlsoTrusted });
  const done: Array<{ phase: RotationPhase; seconds: number; rolled: number }> = [];
  for (const [i, phase] of phases.entries()) {
    console.log(`\nCA rotation, phase ${i + 1} of ${phases.length} (${phase.name}): ${phase.describe}.`);
    const started = Date.now();
    const { rolled } = await configuredUp(stackName, mode, {
      caGeneration: String(phase.settings.generation),
      caAlsoTrusted: phase.settings.alsoTrusted === 0 ? undefined : String(phase.settings.alsoTrusted),
    });
    done.push({ phase, seconds: (Date.now() - started) / 1000, rolled: rolled.length });
    console.log(
      `Phase ${phase.name} done in ${done[i].seconds.toFixed(1)} s (${rolled.length} containers rolled).`,
    );
  }
  const last = phases[phases.length - 1].settings.generation;
  console.log(
    `\nThe lab's CA is now generation ${last}; every certificate and key is new. A host agent needs its config again: npm run lab -- host-agent.`,
  );
  return done;
}

async function status(stackName: string, mode: LabMode): Promise<void> {
  const swarm = swarmOutputValues(
    await labStackOutputs({ stackName, backendDir, pulumiHome: mode.pulumiHome }),
  );
  if (swarm) {
    const nodes = swarmNodes(swarm.dockerHost);
    const tasks = swarmTasks(swarm.dockerHost, Object.values(swarm.serviceNames));
    const views = await balancerViews(nodes, tasks, swarm.serviceNames.balancers, swarm.ports.stats);
    console.log(formatSwarmStatus(nodes, tasks, views));
    return;
  }
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

/**
 * `watch`: a view of the running lab redrawn every second (scripts/watchView.ts), until Ctrl-C or
 * after `--frames N`.
 */
async function watch(stackName: string, mode: LabMode, args: string[]): Promise<void> {
  if (args.length > 0 && (args.length > 2 || args[0] !== "--frames")) {
    throw new Error(`watch takes only --frames N, got: ${args.join(" ")}. ${usage}`);
  }
  const frames = args.length > 0 ? parseFramesOption(args[1]) : undefined;
  const outputs = labOutputValues(
    await labStackOutputs({ stackName, backendDir, pulumiHome: mode.pulumiHome }),
  );
  if (!outputs || labContainers(projectName, stackName).length === 0) {
    throw new Error(`stack ${stackName} is not up: run npm run lab -- up first`);
  }
  const labels = { stack: stackName, namePrefix: `${labNaming(projectName, stackName).prefix}-` };
  await runWatch({
    take: snapshotTaker({ project: projectName, stack: stackName, statsUrl: outputs.statsUrl }),
    frame: (history, width) => watchFrame(history, { ...labels, width }),
    frames,
  });
}

async function down(stackName: string, mode: LabMode): Promise<void> {
  const settings = stackSettings(stackName, mode);
  const stack = await openStack(stackName, mode, settings);
  await reportInterruptedUpdate(stack);
  await stack.destroy({ onOutput: print, color: "never" });
  const config = parseLabConfig(settings);
  if (config.target === "swarm") {
    const dockerHost = config.dockerHost ?? "";
    const engines = reachableEngines(dockerHost);
    const left = [
      ...Object.values(swarmStackObjects(dockerHost, projectName, stackName)).flat(),
      ...(await removeTaskVolumes(engines, projectName, stackName)),
    ];
    console.log(
      left.length === 0
        ? `\nThe lab is down: no service, secret, config or network of stack ${stackName} is left, and no ` +
            `task volume on ${engines.length === 1 ? "the manager" : `any of the ${engines.length} nodes`}.`
        : `\nStill there: ${left.join(", ")}`,
    );
    return;
  }
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
    bundleDir: mode.bundleDir,
    statsUrl: outputs.statsUrl,
    aggregators: outputs.aggregatorContainerNames,
    agents: outputs.agentContainerNames,
    demoAppOfAgent: Object.fromEntries(
      outputs.agentContainerNames.map((agent, i) => [agent, outputs.demoAppContainerNames[i]]),
    ),
    up: async () => {
      return (await repairingUp(await openStack(stackName, mode))).changes;
    },
    configure: async (changes) => (await configuredUp(stackName, mode, changes)).changes,
    settings: () => stackSettings(stackName, mode),
    rotateCa: () => rotateCa(stackName, mode),
    privateKeys: async () => labPrivateKeys(await openStack(stackName, mode)),
    previewWith: async (changes) => {
      try {
        const stack = await openStack(stackName, mode, stackSettings(stackName, mode, changes));
        await stack.preview({ color: "never" });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
    outputs: async () => {
      const values = labOutputValues(
        await labStackOutputs({ stackName, backendDir, pulumiHome: mode.pulumiHome }),
      );
      if (!values) throw new Error(`stack ${stackName} has no outputs`);
      return values;
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

/** `cluster up [N] | status | down` (scripts/cluster.sh), with the mode's images loaded on every node. */
function cluster(mode: LabMode, args: string[]): void {
  const [verb, ...rest] = args;
  if (!["up", "status", "down"].includes(verb ?? "") || rest.length > (verb === "up" ? 1 : 0)) {
    throw new Error(`cluster takes up [N], status or down. ${usage}`);
  }
  const images =
    verb === "up"
      ? [mode.configOverrides.haproxyImage, mode.configOverrides.vectorImage]
          .filter((image): image is string => image !== undefined)
          .flatMap((image) => ["--image", image])
      : [];
  const result = spawnSync("bash", [path.join(repoRoot, "scripts", "cluster.sh"), verb, ...rest, ...images], {
    stdio: "inherit",
  });
  if (result.status !== 0) process.exitCode = result.status ?? 1;
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
  if (command !== "status" && command !== "watch") console.error(mode.announcement);
  // Every verb but the list of drills reads Docker first: one message, not a docker CLI error.
  const noDocker = rest[0] === "--list" ? undefined : await dockerProblem(realHostProbe());
  if (noDocker !== undefined) throw new Error(hostNotReady([noDocker]));
  switch (command) {
    case "cluster":
      return cluster(mode, rest);
    case "up":
      return up(stackName, mode);
    case "preview": {
      const stack = await openStack(stackName, mode);
      await stack.preview({ onOutput: print, color: "never" });
      return;
    }
    case "scale": {
      if (rest.length !== 1) throw new Error(`scale takes the number of aggregators. ${usage}`);
      return up(stackName, mode, { aggregators: rest[0] });
    }
    case "rotate-ca":
      await rotateCa(stackName, mode);
      return;
    case "status":
      return status(stackName, mode);
    case "watch":
      return watch(stackName, mode, rest);
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
  const message =
    error instanceof CommandError
      ? commandErrorSummary(error.message)
      : error.message.split("\n").slice(0, 20).join("\n");
  console.error(`\nlab: ${message}`);
  process.exit(1);
});
