/**
 * Which lab this machine can run. With a full Pulumi installation (its Node language host on PATH,
 * so the engine can fetch the real docker/tls plugins) the lab uses the real plugins and the official
 * images. Without one (machines that reach package registries only) it uses the stand-in plugins in
 * the lab's own Pulumi home and images built locally by scripts/build-images.sh, and says so.
 * `LAB_MODE=real` or `LAB_MODE=standins` overrides the guess.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Images scripts/build-images.sh builds (names repeated there; the real-lab test catches drift). */
export const localImages = {
  haproxy: "vector-ha-lab/haproxy:2.6-debian",
  vectorStandin: "vector-ha-lab/vector-standin:0.57.0",
} as const;

export type LabModeKind = "real" | "standins";

export interface LabMode {
  kind: LabModeKind;
  /** One sentence a person reads at the start of every lab command. */
  announcement: string;
  /** Stack config the mode imposes on top of Pulumi.<stack>.yaml. */
  configOverrides: Record<string, string>;
  /** Pulumi home for the engine: the user's own with real plugins, or the lab's with the stand-ins. */
  pulumiHome: string;
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? "").split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, command)));
}

export function detectLabMode(env: NodeJS.ProcessEnv, labPulumiHome: string): LabMode {
  const requested = env.LAB_MODE;
  if (requested !== undefined && requested !== "real" && requested !== "standins") {
    throw new Error(
      `LAB_MODE: got ${JSON.stringify(requested)}; allowed: real or standins (or unset to detect)`,
    );
  }
  const kind: LabModeKind = requested ?? (onPath("pulumi-language-nodejs", env) ? "real" : "standins");
  if (kind === "real") {
    return {
      kind,
      announcement:
        "Mode: real. Real Pulumi docker and tls plugins (fetched by the engine) and the official haproxy and Vector images.",
      configOverrides: {},
      pulumiHome: env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"),
    };
  }
  return {
    kind,
    announcement:
      "Mode: stand-ins (no full Pulumi installation or registry here). REAL: the Pulumi engine, the Docker engine, " +
      "HAProxy, every certificate and TLS handshake. STAND-INS: the docker and tls provider plugins " +
      `(test/standins/providers) and the Vector image (${localImages.vectorStandin}, test/standins/vector); ` +
      `HAProxy runs from ${localImages.haproxy}, built locally from Debian.`,
    configOverrides: {
      useLocalImages: "true",
      haproxyImage: localImages.haproxy,
      vectorImage: localImages.vectorStandin,
    },
    pulumiHome: labPulumiHome,
  };
}
