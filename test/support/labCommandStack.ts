/**
 * A stack of a test's own for the lab command: its `Pulumi.<stack>.yaml` in the repository root (with
 * ports free on loopback now), and its removal afterwards (the lab down if any container is left, the
 * stack out of the lab's backend, the file gone).
 */
import * as fs from "fs";
import * as path from "path";
import { projectName } from "../../components/constants";
import { detectLabMode } from "../../scripts/labMode";
import { removeLabStack } from "../../scripts/runner";
import { docker, freeLabPorts, repoRoot } from "./host";

export const labStackFile = (stackName: string): string => path.join(repoRoot, `Pulumi.${stackName}.yaml`);

/** Writes the stack's settings file: these settings, plus three free ports. */
export async function writeLabStackFile(
  stackName: string,
  writer: string,
  settings: Record<string, number>,
): Promise<void> {
  const ports = await freeLabPorts();
  const lines = Object.entries({ ...settings, ...ports }).map(
    ([key, value]) => `  ${projectName}:${key}: ${value}`,
  );
  fs.writeFileSync(
    labStackFile(stackName),
    [`# Written by ${writer}; removed when it ends.`, "config:", ...lines, ""].join("\n"),
  );
}

/** Takes the stack's lab down with `down` (the lab command, as given) if it left a container, then removes it. */
export async function removeLabCommandStack(
  stackName: string,
  down: () => unknown,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  try {
    if (docker("ps", "-aq", "--filter", `label=vector-ha-lab.stack=${stackName}`)) down();
  } finally {
    await removeLabStack({
      stackName,
      backendDir: path.join(repoRoot, ".lab", "state"),
      pulumiHome: detectLabMode(env, repoRoot).pulumiHome,
    });
    fs.rmSync(labStackFile(stackName), { force: true });
  }
}
