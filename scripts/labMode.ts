/**
 * Which lab this machine can run, in order of preference:
 * - real: a full Pulumi installation (its Node language host on PATH, outside the lab's own folder)
 *   with the internet: the engine fetches the real docker/tls plugins, the official images are pulled;
 * - air-gapped: a bundle folder of real parts (`LAB_BUNDLE=DIR`, or `bundle/` in the repository): the
 *   Pulumi CLI and language host, the real plugins and the real Vector, installed by
 *   scripts/prepare-machine.sh; only the official images are replaced by local builds;
 * - stand-ins: neither; the named stand-in plugins and Vector image (test/standins/), said out loud.
 * An explicit `LAB_BUNDLE` wins over a Pulumi installation; `LAB_MODE` overrides the guess.
 *
 * Run as a script (`ts-node scripts/labMode.ts`), it prints the decision as shell
 * assignments, so scripts/prepare-machine.sh follows the very same rule.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { vectorVersion } from "../components/constants";

/** Images scripts/build-images.sh builds (names passed to it by prepare-machine.sh from here). */
export const localImages = {
  haproxy: "vector-ha-lab/haproxy:2.6-debian",
  /** The bundle's real Vector at the official image's paths. */
  vector: `vector-ha-lab/vector:${vectorVersion}-debian`,
  vectorStandin: `vector-ha-lab/vector-standin:${vectorVersion}`,
} as const;

const labModeKinds = ["real", "airgapped", "standins"] as const;
export type LabModeKind = (typeof labModeKinds)[number];

export interface LabMode {
  kind: LabModeKind;
  /** One sentence a person reads at the start of every lab command. */
  announcement: string;
  /** Stack config the mode imposes on top of Pulumi.<stack>.yaml. */
  configOverrides: Record<string, string>;
  /** Pulumi home for the engine: the user's own (real), or the lab's with the bundle's or the stand-in plugins. */
  pulumiHome: string;
  /** The bundle folder, in air-gapped mode. */
  bundleDir?: string;
}

/** Where the lab keeps its own Pulumi homes, one per kind of plugin, so they never mix. */
export function labPulumiHomes(repoRoot: string): { bundle: string; standins: string } {
  return {
    bundle: path.join(repoRoot, ".lab", "pulumi-home"),
    standins: path.join(repoRoot, ".lab", "pulumi-home-standins"),
  };
}

/** The bundle folder a user may fill without setting LAB_BUNDLE (ignored by git). */
const defaultBundleFolder = "bundle";

function onPathOutside(command: string, env: NodeJS.ProcessEnv, excluded: string): boolean {
  return (env.PATH ?? "")
    .split(path.delimiter)
    .some(
      (dir) =>
        dir && !path.resolve(dir).startsWith(excluded + path.sep) && fs.existsSync(path.join(dir, command)),
    );
}

/** The bundle folder to use, if any: LAB_BUNDLE (which must exist) or a non-empty default folder. */
function findBundle(
  env: NodeJS.ProcessEnv,
  repoRoot: string,
): { dir: string; explicit: boolean } | undefined {
  if (env.LAB_BUNDLE) {
    const dir = path.resolve(env.LAB_BUNDLE);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throw new Error(
        `LAB_BUNDLE: got ${JSON.stringify(env.LAB_BUNDLE)}, which is not a folder; allowed: the folder holding the bundle's archives`,
      );
    }
    return { dir, explicit: true };
  }
  const dir = path.join(repoRoot, defaultBundleFolder);
  return fs.existsSync(dir) && fs.readdirSync(dir).some((name) => name.endsWith(".tar.gz"))
    ? { dir, explicit: false }
    : undefined;
}

export function detectLabMode(env: NodeJS.ProcessEnv, repoRoot: string): LabMode {
  const requested = env.LAB_MODE;
  if (requested !== undefined && !(labModeKinds as readonly string[]).includes(requested)) {
    throw new Error(
      `LAB_MODE: got ${JSON.stringify(requested)}; allowed: ${labModeKinds.join(", ")} (or unset to detect)`,
    );
  }
  const bundle = findBundle(env, repoRoot);
  const pulumiInstalled = onPathOutside("pulumi-language-nodejs", env, path.join(repoRoot, ".lab"));
  const kind: LabModeKind =
    (requested as LabModeKind | undefined) ??
    (bundle?.explicit ? "airgapped" : pulumiInstalled ? "real" : bundle ? "airgapped" : "standins");
  const homes = labPulumiHomes(repoRoot);
  switch (kind) {
    case "real":
      return {
        kind,
        announcement:
          "Mode: real. Real Pulumi docker and tls plugins (fetched by the engine) and the official haproxy and Vector images.",
        configOverrides: {},
        pulumiHome: env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"),
      };
    case "airgapped":
      if (!bundle) {
        throw new Error(
          `LAB_MODE: got "airgapped" but there is no bundle; allowed: set LAB_BUNDLE=DIR or put the bundle's files in ${path.join(repoRoot, defaultBundleFolder)}`,
        );
      }
      return {
        kind,
        announcement:
          `Mode: air-gapped (bundle ${bundle.dir}). REAL: the Pulumi CLI and Node language host, the docker and tls ` +
          `plugins and Vector ${vectorVersion} from the bundle, the Docker engine, HAProxy, every certificate and TLS ` +
          `handshake. LOCAL BUILDS instead of the official images: ${localImages.vector} (the bundle's Vector at the ` +
          `official image's paths) and ${localImages.haproxy} (Debian's HAProxy).`,
        configOverrides: localImageOverrides(localImages.vector),
        pulumiHome: homes.bundle,
        bundleDir: bundle.dir,
      };
    case "standins":
      return {
        kind,
        announcement:
          "Mode: stand-ins (no full Pulumi installation, registry or bundle here). REAL: the Pulumi engine, the Docker " +
          "engine, HAProxy, every certificate and TLS handshake. STAND-INS: the docker and tls provider plugins " +
          `(test/standins/providers) and the Vector image (${localImages.vectorStandin}, test/standins/vector); ` +
          `HAProxy runs from ${localImages.haproxy}, built locally from Debian.`,
        configOverrides: localImageOverrides(localImages.vectorStandin),
        pulumiHome: homes.standins,
      };
  }
}

function localImageOverrides(vectorImage: string): Record<string, string> {
  return { useLocalImages: "true", haproxyImage: localImages.haproxy, vectorImage };
}

/** `key='value'` lines for bash's eval (single quotes escaped). */
function shellAssignments(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}='${value.replace(/'/g, `'\\''`)}'`)
    .join("\n");
}

if (require.main === module) {
  const repoRoot = path.resolve(__dirname, "..");
  try {
    const mode = detectLabMode(process.env, repoRoot);
    const homes = labPulumiHomes(repoRoot);
    process.stdout.write(
      shellAssignments({
        lab_mode: mode.kind,
        // Whatever the mode, a bundle present is installed (cheap): switching modes then changes nothing.
        lab_bundle: findBundle(process.env, repoRoot)?.dir ?? "",
        vector_version: vectorVersion,
        vector_image: localImages.vector,
        haproxy_image: localImages.haproxy,
        standin_image: localImages.vectorStandin,
        bundle_pulumi_home: homes.bundle,
        standins_pulumi_home: homes.standins,
      }) + "\n",
    );
  } catch (error) {
    console.error(`lab mode: ${(error as Error).message}`);
    process.exit(1);
  }
}
