/**
 * Bad input on a real engine, as users meet it: each refusal names the setting, the value and what is
 * allowed, and nothing of the stack exists afterwards (no container, network, volume, no stack in the
 * backend). Settings a user types go through the lab command; the host checks (components/hostChecks.ts)
 * run in the program itself, so they are driven here through the same program on a scratch backend.
 * The pure messages are tested one by one in test/unit/settings.test.ts and test/unit/hostChecks.test.ts.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { projectName } from "../../components/constants";
import { realHostProbe } from "../../components/hostProbe";
import { detectLabMode, localImages } from "../../scripts/labMode";
import { stackDockerObjects } from "../../scripts/labStatus";
import { removeLabStack } from "../../scripts/runner";
import { freeLabPorts, freePort, repoRoot } from "../support/host";

const mode = detectLabMode(process.env, repoRoot);
const nothing = { containers: [], networks: [], volumes: [], images: [] };

describe("bad input through the lab command: refused by name, nothing created", () => {
  const stackName = `bad-${crypto.randomBytes(3).toString("hex")}`;
  const stackFile = path.join(repoRoot, `Pulumi.${stackName}.yaml`);
  const labBackend = path.join(repoRoot, ".lab", "state");

  /** `npm run lab -- preview` with this stack file; its exit status and everything it printed. */
  function labWith(settings: string[], ...args: string[]): { status: number | null; output: string } {
    return labWithEnv(settings, {}, ...args);
  }
  function labWithEnv(
    settings: string[],
    env: Record<string, string>,
    ...args: string[]
  ): { status: number | null; output: string } {
    fs.writeFileSync(
      stackFile,
      ["config:", ...settings.map((line) => `  ${projectName}:${line}`), ""].join("\n"),
    );
    const run = spawnSync("npm", ["run", "--silent", "lab", "--", ...args], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...process.env, ...env },
    });
    return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
  }

  afterAll(async () => {
    fs.rmSync(stackFile, { force: true });
    await removeLabStack({ stackName, backendDir: labBackend, pulumiHome: mode.pulumiHome });
  });

  it.each([
    [
      "a typo in a setting's name",
      ["aggregator: 3"],
      /aggregator: got "3", but the lab has no setting of that name; did you mean aggregators\?/,
    ],
    [
      "a port that clashes with another setting's default",
      ["remoteWritePort: 8404"],
      /remoteWritePort: got "8404"; allowed: a port not used by another setting \(statsPort is 8404, its default\)/,
    ],
    [
      "a count of the wrong type",
      ["agents: many"],
      /agents: got "many"; allowed: a whole number from 1 to 64/,
    ],
    [
      "the swarm target on an engine that manages no Swarm (this host's own)",
      ["target: swarm"],
      /dockerHost: "" \(its default\); allowed: the Docker endpoint of a Swarm manager, and that engine is in no Swarm/,
    ],
    [
      "the swarm target at an endpoint where no engine answers",
      ["target: swarm", "dockerHost: unix:///tmp/no-swarm-here.sock"],
      /dockerHost: got "unix:\/\/\/tmp\/no-swarm-here.sock"; allowed: the Docker endpoint of a Swarm manager, and no engine answers there/,
    ],
  ])("%s", (_, settings, message) => {
    const { status, output } = labWith(settings, "up", "--stack", stackName);
    expect(status).not.toBe(0);
    expect(output).toMatch(message);
    expect(output).not.toMatch(/\n\s+at .*\(.*\.ts:\d+:\d+\)/); // no stack trace
    expect(stackDockerObjects(projectName, stackName)).toEqual(nothing);
  });

  it("the swarm target in stand-ins mode, whose docker plugin has no Swarm resources", () => {
    const { status, output } = labWithEnv(
      ["target: swarm"],
      { LAB_MODE: "standins" },
      "up",
      "--stack",
      stackName,
    );
    expect(status).not.toBe(0);
    expect(output).toMatch(/target: got "swarm"; allowed: docker in stand-ins mode/);
    expect(output).not.toMatch(/\n\s+at .*\(.*\.ts:\d+:\d+\)/);
  });

  it("a stack name Docker cannot use, refused before a stack is made", () => {
    const { status, output } = labWith([], "up", "--stack", "Bad_Name");
    expect(status).not.toBe(0);
    expect(output).toMatch(
      /stack name "Bad_Name" cannot name the lab's Docker objects.*allowed: lowercase letters/,
    );
    expect(fs.existsSync(path.join(labBackend, ".pulumi", "stacks", projectName, "Bad_Name.json"))).toBe(
      false,
    );
  });
});

describe("the host checks in the program: refused by name before the first resource", () => {
  const stackName = `host-${crypto.randomBytes(3).toString("hex")}`;
  const stackFile = path.join(repoRoot, `Pulumi.${stackName}.yaml`);
  const labBackend = path.join(repoRoot, ".lab", "state");

  afterAll(async () => {
    fs.rmSync(stackFile, { force: true });
    await removeLabStack({ stackName, backendDir: labBackend, pulumiHome: mode.pulumiHome });
  });

  /**
   * `up` through the lab command after the machine is prepared (scripts/lab.ts itself: preparing the
   * machine would start a Docker engine, and one case is an engine that does not answer).
   */
  async function upWith(
    settings: Record<string, string | number>,
    env: Record<string, string> = {},
  ): Promise<string> {
    const lines = Object.entries(settings).map(
      ([key, value]) => `  ${projectName}:${key}: ${JSON.stringify(value)}`,
    );
    fs.writeFileSync(stackFile, ["config:", ...lines, ""].join("\n"));
    const run = spawnSync(
      path.join(repoRoot, "node_modules", ".bin", "ts-node"),
      ["--transpile-only", "scripts/lab.ts", "up", "--stack", stackName],
      { cwd: repoRoot, encoding: "utf8", env: { ...process.env, ...env } },
    );
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status).not.toBe(0);
    expect(output).toContain("the host is not ready for the lab");
    expect(stackDockerObjects(projectName, stackName)).toEqual(nothing);
    return output;
  }

  it("a port another program already holds on the bind address", async () => {
    const ports = await freeLabPorts();
    const held = net.createServer();
    await new Promise<void>((resolve) => held.listen(ports.vectorPort, "127.0.0.1", resolve));
    try {
      const output = await upWith(ports);
      expect(output).toContain(
        `vectorPort: got "${ports.vectorPort}"; allowed: a port free on 127.0.0.1, and ${ports.vectorPort} is in use there (another program)`,
      );
    } finally {
      held.close();
    }
  });

  it("a bind address this host does not have", async () => {
    // 192.0.2.0/24 is reserved for documentation: no host has it, and nothing is sent to it.
    const output = await upWith({ ...(await freeLabPorts()), hostBindAddress: "192.0.2.10" });
    expect(output).toMatch(
      /hostBindAddress: got "192\.0\.2\.10"; allowed: an IPv4 address of this host \(127\.0\.0\.1/,
    );
  });

  it("no Docker engine where DOCKER_HOST points", async () => {
    const output = await upWith(await freeLabPorts(), {
      DOCKER_HOST: "unix:///tmp/vector-ha-lab-no-engine.sock",
    });
    expect(output).toMatch(
      /Docker: no engine answers at unix:\/\/\/tmp\/vector-ha-lab-no-engine\.sock \(connect ENOENT/,
    );
  });
});

describe("the real host probe, against this machine's engine", () => {
  it("tells an image the engine has from one it lacks (an air-gapped lab's missing image)", async () => {
    const probe = realHostProbe();
    expect(await probe.imageExists(localImages.haproxy)).toBe(true);
    expect(await probe.imageExists("vector-ha-lab/never-built:0")).toBe(false);
  });

  it("sees loopback among the host's addresses and a held port as held", async () => {
    const probe = realHostProbe();
    expect(probe.hostAddresses()).toContain("127.0.0.1");
    const port = await freePort();
    expect(await probe.portHolder("127.0.0.1", port)).toBeUndefined();
    const held = net.createServer();
    await new Promise<void>((resolve) => held.listen(port, "127.0.0.1", resolve));
    try {
      expect(await probe.portHolder("127.0.0.1", port)).toBe("another program");
    } finally {
      held.close();
    }
  });
});
