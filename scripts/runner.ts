/**
 * Drives a Pulumi program through the Automation API as an *inline* program, on a local file
 * backend with a passphrase. This is how the lab command runs the program in every mode: it needs no
 * Node language host (the SDK serves the language runtime in this process), so the program function
 * is called anew on every `up`/`preview`.
 * https://www.pulumi.com/docs/iac/packages-and-automation/automation-api/
 *
 * It uses what `scripts/prepare-machine.sh` prepared: the CLI linked at `.lab/cli/bin/pulumi`, and
 * the Pulumi home the caller names (the mode's: the bundle's real plugins or the stand-ins).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { fileBackendUrl, removeHalfWrittenSidecars } from "./fileBackend";
import {
  ConfigMap,
  LocalWorkspace,
  LocalWorkspaceOptions,
  OutputMap,
  PulumiCommand,
  Stack,
} from "@pulumi/pulumi/automation";

export interface LabStackOptions {
  /** Stack name, e.g. "dev". */
  stackName: string;
  /** Project name; default "vector-ha-lab". */
  projectName?: string;
  /** Folder of the file backend (created if missing); the state lives in `<backendDir>/.pulumi/`. */
  backendDir: string;
  /** Stack config, exactly this set; keys without ":" get the "<project>:" prefix. */
  config?: Record<string, string>;
  /** The program; called anew on every up/preview. */
  program: () => Promise<Record<string, unknown> | void>;
  /**
   * Pulumi home for plugins: the mode's (scripts/labMode.ts), the bundle's real plugins or the
   * stand-ins, each in a home of the lab's own; never guessed here, so the two never mix.
   */
  pulumiHome: string;
}

const defaultProjectName = "vector-ha-lab";

/**
 * The passphrase of a backend's secrets when the user sets none (PULUMI_CONFIG_PASSPHRASE or
 * PULUMI_CONFIG_PASSPHRASE_FILE win): random, made on first use, in a file only its owner can read,
 * inside the backend folder (mode 0700), so it goes wherever the state goes and nowhere else.
 */
export function passphraseFile(backendDir: string): string {
  return path.join(path.resolve(backendDir), "passphrase");
}

/**
 * The fixed passphrase versions before the passphrase file used. Only for stacks those versions made,
 * found in a backend with no passphrase file: it is kept for them (with a warning), never for new ones.
 */
const formerFixedPassphrase = "vector-ha-lab: lab-only passphrase, not a secret";

function ensurePassphraseFile(backendDir: string): string {
  const file = passphraseFile(backendDir);
  if (fs.existsSync(file)) {
    const mode = fs.statSync(file).mode & 0o777;
    if (mode & 0o077) {
      throw new Error(
        `runner: ${file} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it`,
      );
    }
    return file;
  }
  const stacksDir = path.join(path.resolve(backendDir), ".pulumi", "stacks");
  const formerStacks =
    fs.existsSync(stacksDir) &&
    fs.readdirSync(stacksDir, { recursive: true }).some((f) => String(f).endsWith(".json"));
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(file), 0o700);
  const passphrase = formerStacks ? formerFixedPassphrase : crypto.randomBytes(32).toString("base64url");
  // "wx": never overwrite one another process made meanwhile.
  fs.writeFileSync(file, `${passphrase}\n`, { mode: 0o600, flag: "wx" });
  if (formerStacks) {
    console.error(
      `runner: the stacks in ${backendDir} were made by an earlier version, whose passphrase was fixed; it is ` +
        `kept for them in ${file}. For a random one: take each lab down, remove ${backendDir}, and run up again.`,
    );
  }
  return file;
}

/** The repository root: the first folder above this module holding scripts/prepare-machine.sh. */
function repoRoot(): string {
  // Run from scripts/ (ts-node, ts-jest) or from .lab/build/scripts/ (compiled).
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "scripts", "prepare-machine.sh"))) return dir;
    if (path.dirname(dir) === dir) {
      throw new Error(`runner: no repository root above ${__dirname}`);
    }
  }
}

/** Environment for every Pulumi CLI call the runner makes on the backend in `backendDir`. */
export function labEnvironment(pulumiHome: string, backendDir: string): Record<string, string> {
  const env: Record<string, string> = {
    PULUMI_HOME: pulumiHome,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
  };
  if (process.env.PULUMI_CONFIG_PASSPHRASE !== undefined) {
    env.PULUMI_CONFIG_PASSPHRASE = process.env.PULUMI_CONFIG_PASSPHRASE;
  } else {
    env.PULUMI_CONFIG_PASSPHRASE_FILE =
      process.env.PULUMI_CONFIG_PASSPHRASE_FILE ?? ensurePassphraseFile(backendDir);
  }
  return env;
}

/**
 * The CLI prepare-machine.sh chose (linked as .lab/cli/bin/pulumi: it checked that the CLI is at
 * least as new as the installed @pulumi/pulumi), else `pulumi` on PATH. PulumiCommand.get checks
 * the SDK's own minimum CLI version either way.
 */
async function labPulumiCommand(): Promise<PulumiCommand> {
  const root = path.join(repoRoot(), ".lab", "cli");
  const hasLabCli = fs.existsSync(path.join(root, "bin", "pulumi"));
  try {
    return await PulumiCommand.get(hasLabCli ? { root } : undefined);
  } catch (err) {
    const tried = hasLabCli ? path.join(root, "bin", "pulumi") : "pulumi on PATH";
    const cause = err instanceof Error ? err.message : String(err);
    throw new Error(`runner: no usable Pulumi CLI (${tried}); run scripts/prepare-machine.sh. ${cause}`);
  }
}

/**
 * Workspace options shared by open and remove. The work dir (Pulumi.yaml and Pulumi.<stack>.yaml,
 * which holds the passphrase provider's salt) is kept next to the state, so a later process finds it.
 */
async function workspaceOptions(
  opts: Pick<LabStackOptions, "projectName" | "backendDir" | "pulumiHome">,
): Promise<LocalWorkspaceOptions> {
  const { pulumiHome } = opts;
  const projectName = opts.projectName ?? defaultProjectName;
  const backendDir = path.resolve(opts.backendDir);
  const workDir = path.join(backendDir, "workspaces", projectName);
  fs.mkdirSync(workDir, { recursive: true });
  for (const note of removeHalfWrittenSidecars(backendDir)) console.error(`Interrupted before: ${note}.`);
  const backendUrl = fileBackendUrl(backendDir);
  return {
    workDir,
    pulumiHome,
    pulumiCommand: await labPulumiCommand(),
    // PULUMI_BACKEND_URL would override the project's backend: pin it to this one.
    envVars: { ...labEnvironment(pulumiHome, backendDir), PULUMI_BACKEND_URL: backendUrl },
    projectSettings: { name: projectName, runtime: "nodejs", backend: { url: backendUrl } },
  };
}

/**
 * Creates or selects the stack and sets its config to exactly `opts.config`. The workspace's own copy
 * of the settings (next to the state) is rewritten from `opts.config` on every open, so the caller's
 * source (the lab command's Pulumi.<stack>.yaml) stays the only one that counts.
 */
export async function openLabStack(opts: LabStackOptions): Promise<Stack> {
  const projectName = opts.projectName ?? defaultProjectName;
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: opts.stackName, projectName, program: opts.program },
    await workspaceOptions(opts),
  );
  const wanted: ConfigMap = {};
  for (const [key, value] of Object.entries(opts.config ?? {})) {
    wanted[key.includes(":") ? key : `${projectName}:${key}`] = { value };
  }
  const stale = Object.keys(await stack.getAllConfig()).filter((key) => !(key in wanted));
  if (stale.length > 0) await stack.removeAllConfig(stale);
  if (Object.keys(wanted).length > 0) await stack.setAllConfig(wanted);
  return stack;
}

/** Removes the stack and its config (`pulumi stack rm --force`); nothing to do if it is absent. */
export async function removeLabStack(
  opts: Pick<LabStackOptions, "stackName" | "projectName" | "backendDir" | "pulumiHome">,
): Promise<void> {
  const workspace = await LocalWorkspace.create(await workspaceOptions(opts));
  const stacks = await workspace.listStacks();
  if (stacks.some((stack) => stack.name === opts.stackName)) {
    await workspace.removeStack(opts.stackName, { force: true });
  }
}

/** The stack's last outputs, or undefined when it does not exist; creates nothing. */
export async function labStackOutputs(
  opts: Pick<LabStackOptions, "stackName" | "projectName" | "backendDir" | "pulumiHome">,
): Promise<OutputMap | undefined> {
  const workspace = await LocalWorkspace.create(await workspaceOptions(opts));
  const stacks = await workspace.listStacks();
  if (!stacks.some((stack) => stack.name === opts.stackName)) return undefined;
  return workspace.stackOutputs(opts.stackName);
}

/**
 * The engine's output, its diagnostics included, was printed as it came; what the CLI wrote on stderr
 * before it could start (a lock, a damaged state) was not: its first error, then where to look.
 */
export function commandErrorSummary(message: string): string {
  const stderr = /\n stderr: ([\s\S]*?)(\n err\?: |$)/.exec(message)?.[1] ?? "";
  const lines = stderr.split("\n");
  const first = lines.findIndex((line) => /^error: /.test(line));
  const own = first < 0 ? [] : lines.slice(first, first + 8).filter((line) => line.trim() !== "");
  return [...own, "Pulumi stopped: any errors of the engine are above, under Diagnostics."].join("\n");
}
