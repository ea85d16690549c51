/**
 * scripts/build-images.sh on this machine's Docker engine: it builds (or finds) the three local
 * images, a second run reuses them all in seconds, and the images work: HAProxy checks and serves a
 * configuration at the official image's path and stops promptly, the base has node and bash.
 * Needs a running Docker engine (scripts/prepare-machine.sh); a cold first run takes a few minutes.
 */
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { balanceAlgorithms, healthCheckKinds, healthCheckProfiles } from "../../components/settings";
import { haproxyConfigPath } from "../../components/constants";
import { renderHaproxyConfig } from "../../components/haproxyConfig";
import { docker, runScript } from "../support/host";

const images = {
  base: "vector-ha-lab/debian-base:bookworm",
  haproxy: "vector-ha-lab/haproxy:2.6-debian",
  vectorStandin: "vector-ha-lab/vector-standin:0.57.0",
} as const;

const runId = randomBytes(3).toString("hex");
/** Containers this test started; afterAll removes them whatever happened. */
const containers: string[] = [];
const scratchDirs: string[] = [];

const statsPort = 8404;
/** A small configuration in the lab's style: stats page and Prometheus metrics on one frontend. */
const statsConfig = [
  "global",
  "  log stdout format raw local0",
  "defaults",
  "  mode http",
  "  timeout connect 5s",
  "  timeout client 30s",
  "  timeout server 30s",
  "frontend stats",
  `  bind :${statsPort}`,
  "  http-request use-service prometheus-exporter if { path /metrics }",
  "  stats enable",
  "  stats uri /stats",
  "",
].join("\n");

/** A directory holding `haproxy.cfg`, readable by the image's unprivileged `haproxy` user. */
function configDir(config: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "images-test-"));
  scratchDirs.push(dir);
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, "haproxy.cfg"), config, { mode: 0o644 });
  return dir;
}

/** `haproxy -c` inside the image, on a config mounted at the official image's path. */
function checkConfig(config: string): { status: number | null; output: string } {
  const result = spawnSync(
    "docker",
    [
      "run",
      "--rm",
      "-v",
      `${configDir(config)}:${path.posix.dirname(haproxyConfigPath)}:ro`,
      images.haproxy,
      "haproxy",
      "-c",
      "-f",
      haproxyConfigPath,
    ],
    { encoding: "utf8" },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { timeout: 2000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("timeout", () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on("error", reject);
  });
}

/** Retries a GET until it answers, for a process that is still starting. */
async function waitForGet(url: string, withinMs: number): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await httpGet(url);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe("build-images.sh", () => {
  let first: ReturnType<typeof runScript>;
  let second: ReturnType<typeof runScript>;

  beforeAll(() => {
    first = runScript("scripts/build-images.sh");
    second = runScript("scripts/build-images.sh");
    process.stdout.write(
      `build-images: first run ${first.seconds.toFixed(1)} s, second run ${second.seconds.toFixed(1)} s\n` +
        `${first.lines.join("\n")}\n`,
    );
  }, 1_200_000);

  afterAll(() => {
    for (const name of containers) spawnSync("docker", ["rm", "-f", name], { stdio: "ignore" });
    for (const dir of scratchDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reports every image once per run, built (with seconds) or reused", () => {
    for (const image of Object.values(images)) {
      const reports = first.lines.filter((line) =>
        new RegExp(`^build-images: (built ${image} in \\d+ s|reused ${image}) `).test(line),
      );
      expect(reports).toHaveLength(1);
    }
  });

  it("reuses every image on a second run with nothing changed, in seconds", () => {
    expect(second.lines.filter((line) => line.startsWith("build-images: built"))).toEqual([]);
    for (const image of Object.values(images)) {
      expect(second.lines).toContainEqual(expect.stringMatching(`^build-images: reused ${image} `));
    }
    expect(second.seconds).toBeLessThan(20);
  });

  it("labels every image as local, with the hash of its inputs", () => {
    for (const image of Object.values(images)) {
      const labels = JSON.parse(docker("image", "inspect", "-f", "{{json .Config.Labels}}", image));
      expect(labels).toMatchObject({ "vector-ha-lab.image": "local" });
      expect(labels["vector-ha-lab.inputs-hash"]).toMatch(/^[0-9a-f]{16}$/);
    }
    const listed = docker(
      "images",
      "-f",
      "label=vector-ha-lab.image=local",
      "--format",
      "{{.Repository}}:{{.Tag}}",
    );
    expect(listed.split("\n")).toEqual(expect.arrayContaining(Object.values(images)));
  });

  it("gives the base image node and bash", () => {
    expect(docker("run", "--rm", images.base, "node", "-e", "process.stdout.write(process.version)")).toMatch(
      /^v\d+\./,
    );
    expect(docker("run", "--rm", images.base, "bash", "-c", "echo $BASH_VERSION")).toMatch(/^5\./);
  });

  it("builds HAProxy 2.6 with the Prometheus exporter, running as the haproxy user", () => {
    const version = docker("run", "--rm", images.haproxy, "haproxy", "-vv");
    expect(version).toMatch(/^HAProxy version 2\.6\./m);
    expect(version).toContain("Built with the Prometheus exporter");
    const config = JSON.parse(docker("image", "inspect", "-f", "{{json .Config}}", images.haproxy));
    expect(config).toMatchObject({
      User: "haproxy",
      StopSignal: "SIGUSR1",
      Cmd: ["haproxy", "-f", haproxyConfigPath],
    });
  });

  it("checks a configuration at the official image's path with haproxy -c", () => {
    const valid = checkConfig(statsConfig);
    expect(valid).toMatchObject({ status: 0 });
    expect(valid.output).toContain("Configuration file is valid");
    const broken = checkConfig(statsConfig.replace("stats enable", "stats enable-nothing"));
    expect(broken.status).not.toBe(0);
    expect(broken.output).toContain("unknown stats parameter 'enable-nothing'");
  });

  it("accepts the lab's rendered configuration, every health check, profile and balance algorithm", () => {
    for (const healthCheck of healthCheckKinds) {
      for (const balance of balanceAlgorithms) {
        // Each profile once (with its own balance), not every combination: each run starts a container.
        const healthCheckProfile =
          healthCheckProfiles[balanceAlgorithms.indexOf(balance) % healthCheckProfiles.length];
        const config = renderHaproxyConfig({
          vectorPort: 19093,
          remoteWritePort: 19094,
          statsPort,
          balance,
          healthCheck,
          healthCheckProfile,
          maxAggregators: 8,
          aggregatorPoolHostname: "aggregators",
        });
        const checked = checkConfig(config);
        expect({ healthCheck, healthCheckProfile, balance, ...checked }).toMatchObject({
          healthCheck,
          healthCheckProfile,
          balance,
          status: 0,
        });
      }
    }
  });

  it("serves a configuration copied in before start, and stops within 2 s on docker stop", async () => {
    const name = `images-test-${runId}-haproxy`;
    containers.push(name);
    docker("create", "--name", name, "-p", `127.0.0.1::${statsPort}`, images.haproxy);
    docker("cp", path.join(configDir(statsConfig), "haproxy.cfg"), `${name}:${haproxyConfigPath}`);
    docker("start", name);
    const address = docker("port", name, `${statsPort}/tcp`).split("\n")[0];

    const stats = await waitForGet(`http://${address}/stats`, 10_000);
    expect(stats.status).toBe(200);
    expect(stats.body).toContain("Statistics Report for HAProxy");
    const metrics = await httpGet(`http://${address}/metrics`);
    expect(metrics.body).toContain("haproxy_process_nbthread");
    // Master-worker in the foreground, as the official image runs it.
    expect(docker("top", name, "-o", "pid,args")).toContain(`haproxy -W -db -f ${haproxyConfigPath}`);

    const stopping = Date.now();
    docker("stop", name);
    const stopSeconds = (Date.now() - stopping) / 1000;
    process.stdout.write(`haproxy: docker stop took ${stopSeconds.toFixed(2)} s\n`);
    expect(stopSeconds).toBeLessThan(2);
    expect(docker("inspect", "-f", "{{.State.ExitCode}}", name)).toBe("0");
  });
});
