/**
 * The lab command: `npm run lab -- <up|preview|scale N|status|down|host-agent> [--stack NAME]`.
 * Runs the same program as `pulumi up` (components/lab.ts) through the Automation API on a local file
 * backend in .lab/state, creating it and the stack when missing: no account, no prompt. Stack settings
 * come from Pulumi.<stack>.yaml, so editing `aggregators` there and running `up` scales the lab.
 */
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { parseLabConfig, readLabConfig } from "../components/config";
import { projectName } from "../components/constants";
import { buildLab } from "../components/lab";
import { detectLabMode, type LabMode } from "./labMode";
import { balancerServers, formatStatus, labContainers, stackDockerObjects } from "./labStatus";
import { openLabStack } from "./runner";

const repoRoot = path.resolve(__dirname, "..");
const backendDir = path.join(repoRoot, ".lab", "state");
const usage = "usage: npm run lab -- <up|preview|scale N|status|down|host-agent> [--stack NAME]";

/** Settings from Pulumi.<stack>.yaml, without the project prefix, as strings (how Pulumi passes them). */
function stackFileSettings(stackName: string): Record<string, string> {
  const file = path.join(repoRoot, `Pulumi.${stackName}.yaml`);
  if (!fs.existsSync(file)) return {};
  const config = (parseDocument(fs.readFileSync(file, "utf8")).toJS()?.config ?? {}) as Record<
    string,
    unknown
  >;
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key.replace(`${projectName}:`, ""), String(value)]),
  );
}

/** Sets `aggregators` in Pulumi.<stack>.yaml, keeping its comments; refuses a value the lab would refuse. */
function writeAggregatorCount(stackName: string, count: string): void {
  parseLabConfig({ ...stackFileSettings(stackName), aggregators: count });
  const file = path.join(repoRoot, `Pulumi.${stackName}.yaml`);
  const document = parseDocument(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "config: {}\n");
  document.setIn(["config", `${projectName}:aggregators`], Number(count));
  fs.writeFileSync(file, document.toString());
  console.log(`Set ${projectName}:aggregators to ${count} in ${path.basename(file)}.`);
}

async function openStack(stackName: string, mode: LabMode) {
  const settings = stackFileSettings(stackName);
  for (const [key, value] of Object.entries(mode.configOverrides)) {
    if (settings[key] !== undefined && settings[key] !== value) {
      console.log(`Note: ${key} is ${settings[key]} in Pulumi.${stackName}.yaml; this mode uses ${value}.`);
    }
  }
  const config = { ...settings, ...mode.configOverrides };
  // Refuse bad settings before the engine starts: one message, nothing created.
  parseLabConfig(config);
  return openLabStack({
    stackName,
    backendDir,
    pulumiHome: mode.pulumiHome,
    config,
    program: async () => ({ ...buildLab(readLabConfig()) }),
  });
}

const print = (text: string): void => {
  process.stdout.write(text);
};

async function up(stackName: string, mode: LabMode): Promise<void> {
  const stack = await openStack(stackName, mode);
  const result = await stack.up({ onOutput: print, color: "never" });
  const out = (key: string): unknown => result.outputs[key]?.value;
  const endpoints = out("balancerEndpoints") as { onHost: { vector: string; remoteWrite: string } };
  console.log(
    [
      "",
      `The lab is up (${mode.kind} mode, stack ${stackName}).`,
      `  Vector protocol (mTLS):      ${endpoints.onHost.vector}`,
      `  Prometheus remote write:     ${endpoints.onHost.remoteWrite}`,
      `  HAProxy stats:               ${out("statsUrl")}`,
      `  HAProxy Prometheus metrics:  ${out("metricsUrl")}`,
      `  Aggregators:                 ${(out("aggregatorContainerNames") as string[]).join(", ")}`,
      `  Agents:                      ${(out("agentContainerNames") as string[]).join(", ")}`,
      "Status:    npm run lab -- status",
      `Scale:     npm run lab -- scale N   (or edit aggregators in Pulumi.${stackName}.yaml, then npm run lab -- up)`,
      "Tear down: npm run lab -- down",
    ].join("\n"),
  );
}

async function status(stackName: string): Promise<void> {
  const statsPort = parseLabConfig(stackFileSettings(stackName)).statsPort;
  const servers = await balancerServers(`http://127.0.0.1:${statsPort}/stats`).catch((error: Error) => error);
  const containers = labContainers(projectName, stackName);
  if (containers.length === 0) console.log(`No containers of stack ${stackName}: the lab is down.`);
  else console.log(formatStatus(containers, servers));
}

async function down(stackName: string, mode: LabMode): Promise<void> {
  const stack = await openStack(stackName, mode);
  await stack.destroy({ onOutput: print, color: "never" });
  const left = Object.values(stackDockerObjects(projectName, stackName)).flat();
  console.log(
    left.length === 0
      ? `\nThe lab is down: no container, network, volume or image of stack ${stackName} is left.`
      : `\nStill there: ${left.join(", ")}`,
  );
}

async function main(argv: string[]): Promise<void> {
  const stackFlag = argv.indexOf("--stack");
  const stackName = stackFlag >= 0 ? argv[stackFlag + 1] : "dev";
  const [command, ...rest] = argv.filter((_, i) => stackFlag < 0 || (i !== stackFlag && i !== stackFlag + 1));
  if (!stackName) throw new Error(usage);
  const mode = detectLabMode(process.env, repoRoot);
  // On stderr, so `host-agent > file` gets only the YAML.
  if (command !== "status") console.error(mode.announcement);
  switch (command) {
    case "up":
      return up(stackName, mode);
    case "preview": {
      const stack = await openStack(stackName, mode);
      await stack.preview({ onOutput: print, color: "never" });
      return;
    }
    case "scale":
      if (rest.length !== 1) throw new Error(`scale takes the number of aggregators. ${usage}`);
      writeAggregatorCount(stackName, rest[0]);
      return up(stackName, mode);
    case "status":
      return status(stackName);
    case "down":
      return down(stackName, mode);
    case "host-agent": {
      // The config holds the host agent's private key: printed only on this explicit request.
      const outputs = await (await openStack(stackName, mode)).outputs();
      if (!outputs.hostAgentVectorYaml)
        throw new Error(`stack ${stackName} is not up: run npm run lab -- up`);
      print(String(outputs.hostAgentVectorYaml.value));
      return;
    }
    default:
      throw new Error(usage);
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  // Pulumi's own errors already printed the engine's output; keep ours to one readable message.
  console.error(`\nlab: ${error.message.split("\n").slice(0, 20).join("\n")}`);
  process.exit(1);
});
