/**
 * scripts/prepare-machine.sh on this machine: a first run makes everything present (it may build
 * the Pulumi CLI, minutes when cold, where there is no bundle); a second run finds everything and
 * changes nothing, in seconds. With a bundle (LAB_BUNDLE, as in CI): its real plugins in the lab's
 * Pulumi home, its CLI and language host, its Vector; a damaged or missing bundle file is named.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runScript } from "../support/host";

const repo = path.resolve(__dirname, "../..");
const homes = {
  bundle: path.join(repo, ".lab", "pulumi-home"),
  standins: path.join(repo, ".lab", "pulumi-home-standins"),
};
const bundle = process.env.LAB_BUNDLE ? path.resolve(process.env.LAB_BUNDLE) : undefined;
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
    first = runScript("scripts/prepare-machine.sh", "--verbose");
    second = runScript("scripts/prepare-machine.sh");
  });

  it("reports every piece it uses, one line each, with --verbose", () => {
    for (const piece of [
      "apt: docker.io",
      "docker engine:",
      "mode:",
      "pulumi cli:",
      "stand-in plugin docker",
      "stand-in plugin tls",
      "build-images:",
      "env:",
    ]) {
      expect({ piece, found: first.lines.some((line) => line.includes(piece)) }).toEqual({
        piece,
        found: true,
      });
    }
  });

  it("changes nothing on a second run, says so in one line, and takes seconds", () => {
    expect(changes(second.lines)).toEqual([]);
    expect(second.lines).toEqual([
      expect.stringMatching(/^prepare-machine: nothing to do, all present \(\w+ mode/),
    ]);
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

  /** The plugins in one of the lab's Pulumi homes, with the path of each. */
  const pluginsIn = (home: string) =>
    JSON.parse(
      execFileSync(labCli, ["plugin", "ls", "--json"], {
        encoding: "utf8",
        env: { ...process.env, PULUMI_HOME: home, PULUMI_SKIP_UPDATE_CHECK: "true" },
      }),
    ) as { name: string; kind: string; version: string }[];

  it("installs each existing stand-in at the npm SDK's plugin version, in the stand-ins' own Pulumi home only", () => {
    const listed = pluginsIn(homes.standins);
    for (const name of standins) {
      const version = installedPackage(`@pulumi/${name}`).pulumi?.version;
      expect(listed).toContainEqual(expect.objectContaining({ name, kind: "resource", version }));
    }
    expect(listUserPlugins()).toEqual(userPluginsBefore);
  });

  (bundle ? it : it.skip)(
    "installs the bundle's real plugins, CLI, language host and Vector (LAB_BUNDLE)",
    () => {
      const listed = pluginsIn(homes.bundle);
      for (const name of ["docker", "tls"]) {
        const version = installedPackage(`@pulumi/${name}`).pulumi?.version;
        expect(listed).toContainEqual(expect.objectContaining({ name, kind: "resource", version }));
        // The real provider binary, not the stand-in's two-line wrapper script.
        const binary = path.join(
          homes.bundle,
          "plugins",
          `resource-${name}-v${version}`,
          `pulumi-resource-${name}`,
        );
        expect(fs.statSync(binary).size).toBeGreaterThan(10_000_000);
      }
      expect(fs.existsSync(path.join(path.dirname(labCli), "pulumi-language-nodejs"))).toBe(true);
      const vectorVersion = execFileSync(
        path.join(repo, ".lab", "vector-0.57.0", "bin", "vector"),
        ["--version"],
        {
          encoding: "utf8",
        },
      );
      expect(vectorVersion).toMatch(/^vector 0\.57\.0 /);
      expect(first.lines).toContainEqual(expect.stringMatching(/mode: airgapped, bundle /));
    },
  );

  (bundle ? it : it.skip)("names a damaged or a missing bundle file, and stops", () => {
    const damaged = fs.mkdtempSync(path.join(os.tmpdir(), "damaged-bundle-"));
    try {
      for (const name of fs.readdirSync(bundle!))
        fs.symlinkSync(path.join(bundle!, name), path.join(damaged, name));
      const plugin = `pulumi-resource-docker-v${installedPackage("@pulumi/docker").pulumi?.version}-linux-amd64.tar.gz`;
      fs.rmSync(path.join(damaged, plugin));
      fs.writeFileSync(path.join(damaged, plugin), "not the plugin");
      const run = () =>
        spawnSync("bash", ["scripts/prepare-machine.sh"], {
          cwd: repo,
          encoding: "utf8",
          env: { ...process.env, LAB_BUNDLE: damaged },
        });
      const broken = run();
      expect(broken.status).not.toBe(0);
      expect(broken.stderr).toContain(`bundle: ${path.join(damaged, plugin)} is damaged: its sha256 is`);
      fs.rmSync(path.join(damaged, plugin));
      const missing = run();
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain(
        `bundle: ${path.join(damaged, plugin)} is missing (the real docker provider plugin`,
      );
    } finally {
      fs.rmSync(damaged, { recursive: true, force: true });
    }
  });

  it("writes .lab/env.sh with the Pulumi home for plain pulumi and the lab's CLI first on PATH", () => {
    const env = fs.readFileSync(path.join(repo, ".lab", "env.sh"), "utf8");
    expect(env).toContain(`export PULUMI_HOME='${bundle ? homes.bundle : homes.standins}'`);
    expect(env).toContain(`export PATH='${path.dirname(labCli)}':"$PATH"`);
  });
});
