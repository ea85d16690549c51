/**
 * scripts/prepare-machine.sh on this machine: a first run makes everything present (it may build
 * the Pulumi CLI, minutes when cold); a second run finds everything and changes nothing, in seconds.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runScript } from "../support/host";

const repo = path.resolve(__dirname, "../..");
const pulumiHome = path.join(repo, ".lab", "pulumi-home");
const labCli = path.join(repo, ".lab", "cli", "bin", "pulumi");

/** The installed package.json of an npm package. */
function installedPackage(name: string): { version: string; pulumi?: { version: string } } {
  return JSON.parse(fs.readFileSync(path.join(repo, "node_modules", name, "package.json"), "utf8"));
}

/** Lines of things a run changed start with "prepare-machine: +". */
const changes = (lines: string[]) => lines.filter((line) => line.startsWith("prepare-machine: +"));

/** The stand-ins whose entry points exist now (the others are skipped by the script). */
const standins = ["docker", "tls"].filter((name) =>
  fs.existsSync(path.join(repo, "test", "standins", "providers", name, "main.ts")),
);

describe("prepare-machine.sh", () => {
  let first: ReturnType<typeof runScript>;
  let second: ReturnType<typeof runScript>;

  /** The user's own Pulumi plugins, which the script must never touch. */
  const userPlugins = path.join(os.homedir(), ".pulumi", "plugins");
  const listUserPlugins = () => (fs.existsSync(userPlugins) ? fs.readdirSync(userPlugins).sort() : []);
  let userPluginsBefore: string[];

  beforeAll(() => {
    userPluginsBefore = listUserPlugins();
    first = runScript("scripts/prepare-machine.sh");
    second = runScript("scripts/prepare-machine.sh");
  });

  it("reports every piece it uses, one line each", () => {
    for (const piece of [
      "apt: docker.io",
      "docker engine:",
      "pulumi cli:",
      "stand-in plugin docker",
      "stand-in plugin tls",
      "env:",
    ]) {
      expect(first.lines.some((line) => line.includes(piece))).toBe(true);
      expect(second.lines.some((line) => line.includes(piece))).toBe(true);
    }
  });

  it("changes nothing on a second run, and takes seconds", () => {
    expect(changes(second.lines)).toEqual([]);
    expect(second.seconds).toBeLessThan(20);
  });

  it("leaves a Docker engine that answers", () => {
    expect(() => execFileSync("docker", ["info"], { stdio: "ignore" })).not.toThrow();
  });

  it("links a CLI that reports the npm SDK's version or newer", () => {
    const sdkVersion = installedPackage("@pulumi/pulumi").version;
    const cliVersion = execFileSync(labCli, ["version"], {
      encoding: "utf8",
      env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    })
      .trim()
      .replace(/^v/, "");
    expect(cliVersion.localeCompare(sdkVersion, undefined, { numeric: true })).toBeGreaterThanOrEqual(0);
  });

  it("installs each existing stand-in at the npm SDK's plugin version, in the lab's Pulumi home only", () => {
    const listed = JSON.parse(
      execFileSync(labCli, ["plugin", "ls", "--json"], {
        encoding: "utf8",
        env: { ...process.env, PULUMI_HOME: pulumiHome, PULUMI_SKIP_UPDATE_CHECK: "true" },
      }),
    ) as { name: string; kind: string; version: string }[];
    for (const name of standins) {
      const version = installedPackage(`@pulumi/${name}`).pulumi?.version;
      expect(listed).toContainEqual(expect.objectContaining({ name, kind: "resource", version }));
    }
    expect(listUserPlugins()).toEqual(userPluginsBefore);
  });

  it("writes .lab/env.sh with the lab's Pulumi home and CLI first on PATH", () => {
    const env = fs.readFileSync(path.join(repo, ".lab", "env.sh"), "utf8");
    expect(env).toContain(`export PULUMI_HOME='${pulumiHome}'`);
    expect(env).toContain(`export PATH='${path.dirname(labCli)}':"$PATH"`);
  });
});
