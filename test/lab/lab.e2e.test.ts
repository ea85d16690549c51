/**
 * The whole lab for real: the Pulumi engine (Automation API, file backend in a temporary folder, a
 * fresh stack) on a real Docker engine with real HAProxy, certificates and TLS, in the mode this
 * machine runs (scripts/labMode.ts): in CI the bundle's real docker/tls plugins and real Vector; with
 * LAB_MODE=standins the named stand-ins; with LAB_MODE=real the official images. Steps run in order and
 * share one lab; a failed step still tears it down.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { labelKeys, projectName, vectorPaths } from "../../components/constants";
import { backendNames, maxDownDetectionMs } from "../../components/haproxyConfig";
import { labProgram } from "../../components/labProgram";
import { labNaming } from "../../components/naming";
import { settingDefaults } from "../../components/settings";
import { DeliveryLedger, describeLost, writtenByDemoApps } from "../../scripts/delivery";
import { parseBackendServers, type BackendServerStats } from "../../scripts/haproxyStats";
import { detectLabMode } from "../../scripts/labMode";
import { stackDockerObjects } from "../../scripts/labStatus";
import { openLabStack, removeLabStack } from "../../scripts/runner";
import {
  expectedRefusals,
  filesUnder,
  keyLeaks,
  privilegeProblems,
  refusalMatrix,
} from "../../scripts/securityChecks";
import { docker, freeLabPorts, repoRoot } from "../support/host";
import { keyFingerprintLine, labCaPrivateKey, labPrivateKeys } from "../../scripts/stateSecrets";

/**
 * Where the stand-in cannot honour what the real Vector would, in one place. The stand-in speaks JSON
 * over HTTP/2 between its own agents and aggregators instead of Vector's gRPC, so the protocol itself
 * is not Vector's here; every assertion below (TLS, routing, health, buffering, no loss) holds for both.
 */
const standinLimits = [
  "agent↔aggregator wire protocol is the stand-in's JSON over HTTP/2, not Vector's gRPC",
];

/** Added to the health-check bound: stats polling (200 ms) and a loaded 2-core machine. */
const boundMarginMs = 2000;
/** The stack sets no `healthCheckProfile`: the default's bounds apply. */
const healthCheckProfile = settingDefaults.healthCheckProfile;

const mode = detectLabMode(process.env, repoRoot);
const stackName = `e2e-${crypto.randomBytes(3).toString("hex")}`;
const naming = labNaming(projectName, stackName);
const timings: Record<string, number> = {};

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
) {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return { value, ms: Date.now() - started };
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** What every aggregator received, per agent (scripts/delivery.ts). */
const ledger = new DeliveryLedger();

/** Reads what one running aggregator received since the last read; its file's line count. */
function collectFrom(aggregator: string): number {
  ledger.collect([aggregator]);
  return ledger.linesReceivedBy(aggregator);
}

async function balancerServers(statsPort: number): Promise<BackendServerStats[]> {
  const response = await fetch(`http://127.0.0.1:${statsPort}/stats;csv`, {
    signal: AbortSignal.timeout(3000),
  });
  return parseBackendServers(await response.text());
}

/** Aggregator container name per HAProxy server address, from Docker. */
function addressesOfAggregators(): Map<string, string> {
  const map = new Map<string, string>();
  for (const id of docker(
    "ps",
    "-q",
    "--filter",
    `label=${labelKeys.stack}=${stackName}`,
    "--filter",
    `label=${labelKeys.role}=aggregator`,
  )
    .split("\n")
    .filter(Boolean)) {
    const [name, ip] = docker(
      "inspect",
      "-f",
      "{{.Name}} {{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
      id,
    ).split(" ");
    map.set(ip, name.replace(/^\//, ""));
  }
  return map;
}

/** Aggregators HAProxy has UP in both backends, by container name. */
async function upInBothBackends(statsPort: number): Promise<string[]> {
  const servers = await balancerServers(statsPort);
  const names = addressesOfAggregators();
  const upIn = (backend: string) =>
    new Set(
      servers
        .filter((s) => s.backend === backend && s.status === "UP")
        .map((s) => names.get(s.address.split(":")[0]) ?? s.address),
    );
  const vector = upIn(backendNames.vector);
  const remoteWrite = upIn(backendNames.remoteWrite);
  return [...vector].filter((name) => remoteWrite.has(name)).sort();
}

/** Everything a container logged, on stdout and stderr (Vector logs on stderr). */
function containerLogs(name: string): string {
  const result = spawnSync("docker", ["logs", name], { encoding: "utf8" });
  return `${result.stdout}\n${result.stderr}`;
}

function containerIdentity(name: string): string {
  return docker("inspect", "-f", "{{.Id}} {{.State.StartedAt}}", name);
}

describe(`the lab for real (${mode.kind} mode)`, () => {
  let backendDir: string;
  let scratch: string;
  let stack: Stack;
  let config: Record<string, string>;
  let statsPort: number;
  let vectorPort: number;
  let remoteWritePort: number;
  let destroyed = false;
  let outputs: Record<string, { value: unknown }>;
  /** Each agent's latest sequence number before the failover steps: loss is counted from there. */
  let baseline: Record<string, number> = {};

  const aggregator = (index: number) => naming.aggregatorName(index);
  const agents = [naming.agentName(0), naming.agentName(1)];

  async function up(aggregators: number) {
    stack = await openLabStack({
      stackName,
      backendDir,
      pulumiHome: mode.pulumiHome,
      config: { ...config, aggregators: String(aggregators) },
      program: async () => ({ ...(await labProgram()) }),
    });
    const started = Date.now();
    const result = await stack.up({ color: "never" });
    outputs = result.outputs;
    return { result, ms: Date.now() - started };
  }

  beforeAll(async () => {
    backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-e2e-state-"));
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lab-e2e-"));
    ({ vectorPort, remoteWritePort, statsPort } = await freeLabPorts());
    config = {
      agents: "2",
      maxAggregators: "4",
      vectorPort: String(vectorPort),
      remoteWritePort: String(remoteWritePort),
      statsPort: String(statsPort),
      // Short, so connections spread over a scaled-out pool within seconds.
      maxConnectionAgeSecs: "5",
      ...mode.configOverrides,
    };
    console.log(
      mode.kind === "standins"
        ? `${mode.announcement}\nStand-in limits: ${standinLimits.join("; ")}`
        : mode.announcement,
    );
  });

  afterAll(async () => {
    try {
      if (!destroyed && stack) await stack.destroy({ color: "never" });
    } finally {
      // Last resort, so a failed run leaves nothing behind.
      const left = stackDockerObjects(projectName, stackName);
      if (left.containers.length) docker("rm", "-f", "-v", ...left.containers);
      if (left.networks.length) docker("network", "rm", ...left.networks);
      if (left.volumes.length) docker("volume", "rm", "-f", ...left.volumes);
      await removeLabStack({ stackName, backendDir, pulumiHome: mode.pulumiHome }).catch(() => undefined);
      fs.rmSync(backendDir, { recursive: true, force: true });
      fs.rmSync(scratch, { recursive: true, force: true });
      console.log(`Timings (ms): ${JSON.stringify(timings)}`);
    }
  });

  it("1. comes up with 2 aggregators and 2 agents: running, healthy, both UP, events from every agent", async () => {
    const { result, ms } = await up(2);
    timings.coldUp = ms;
    expect(result.summary.result).toBe("succeeded");

    const names = [naming.balancerContainerName, aggregator(0), aggregator(1), ...agents];
    for (const name of names) expect(docker("inspect", "-f", "{{.State.Status}}", name)).toBe("running");
    const healthy = await waitFor("aggregators healthy in Docker", 60000, () =>
      [aggregator(0), aggregator(1)].every(
        (name) => docker("inspect", "-f", "{{.State.Health.Status}}", name) === "healthy",
      ),
    );
    timings.healthy = healthy.ms;

    const bothUp = await waitFor("both aggregators UP in both backends", 30000, async () => {
      const up = await upInBothBackends(statsPort);
      return up.length === 2 ? up : undefined;
    });
    expect(bothUp.value).toEqual([aggregator(0), aggregator(1)]);

    await waitFor("events from every agent at both aggregators", 60000, () => {
      collectFrom(aggregator(0));
      collectFrom(aggregator(1));
      return agents.every((agent) => (ledger.highest()[agent] ?? 0) > 0) &&
        ledger.linesReceivedBy(aggregator(0)) > 0 &&
        ledger.linesReceivedBy(aggregator(1)) > 0
        ? true
        : undefined;
    });
  });

  it("1a. logs no ERROR in any container of the healthy lab, and no Vector warning about TLS or acknowledgements", async () => {
    // Long enough for agents to reconnect at least twice (maxConnectionAgeSecs 5): each reconnect is
    // a TLS handshake that, without the aggregators' OpenSSL settings, draws a WARN (alert 80).
    await new Promise((resolve) => setTimeout(resolve, 12000));
    const containers = stackDockerObjects(projectName, stackName).containers;
    expect(containers.length).toBe(7);
    const problems = containers.flatMap((name) =>
      containerLogs(name)
        .split("\n")
        .filter((line) => / ERROR |\[ALERT\]|alert number|acknowledgements are not supported/.test(line))
        .map((line) => `${name}: ${line}`),
    );
    expect(problems).toEqual([]);
  });

  it("1a'. keeps every private key out of the state, the workspace, .lab/ and the logs, in clear text", () => {
    const keys = labPrivateKeys(stack);
    // The CA, the host agent, and one for each aggregator and agent.
    expect(keys.size).toBe(2 + 2 + agents.length);
    const files = [...filesUnder(backendDir), ...filesUnder(path.join(repoRoot, ".lab"))];
    const containers = [naming.balancerContainerName, aggregator(0), aggregator(1), ...agents];
    expect(keyLeaks([...keys.values()].map(keyFingerprintLine), files, containers)).toEqual([]);
    // The state is there and holds the certificates in clear (public): the search looked at it.
    expect(files.some((file) => file.includes(`${path.sep}.pulumi${path.sep}stacks${path.sep}`))).toBe(true);
    expect(files.length).toBeGreaterThan(5);
  });

  it("1b. refuses, through both mTLS ports, no certificate, another CA's, an expired one, a server-only one, and plaintext", async () => {
    const outcomes = await refusalMatrix({
      host: "127.0.0.1",
      vectorPort,
      remoteWritePort,
      caCertPem: String(outputs.caCertPem.value),
      client: { cert: String(outputs.hostAgentCertPem.value), key: String(outputs.hostAgentKeyPem.value) },
      signingCaKeyPem: labCaPrivateKey(stack),
      serverOnly: {
        cert: docker("exec", aggregator(0), "cat", vectorPaths.nodeCert),
        key: docker("exec", aggregator(0), "cat", vectorPaths.nodeKey),
      },
      scratchDir: scratch,
    });
    expect(Object.keys(outcomes)).toHaveLength(14);
    expect(outcomes).toEqual(expectedRefusals(outcomes));
  });

  it("1c. publishes every port on the bind address only, and runs containers with no more than they need", () => {
    const vectorContainers = [aggregator(0), aggregator(1), ...agents];
    const problems = privilegeProblems({
      containers: [
        naming.balancerContainerName,
        ...vectorContainers,
        ...agents.map((_, i) => naming.demoAppName(i)),
      ],
      balancer: naming.balancerContainerName,
      bindAddress: "127.0.0.1",
      vectorContainers,
    });
    expect(problems).toEqual([]);
  });

  it("2. scales out to 3 without touching HAProxy, and the new aggregator gets events; back to 2 removes only aggregator-2", async () => {
    const haproxyBefore = containerIdentity(naming.balancerContainerName);
    const othersBefore = [aggregator(0), aggregator(1), ...agents].map(containerIdentity);

    const out = await up(3);
    timings.scaleOut = out.ms;
    expect(containerIdentity(naming.balancerContainerName)).toBe(haproxyBefore);
    expect([aggregator(0), aggregator(1), ...agents].map(containerIdentity)).toEqual(othersBefore);
    expect(out.result.summary.resourceChanges).toMatchObject({ create: 5 });
    expect(out.result.summary.resourceChanges?.update ?? 0).toBe(0);
    expect(out.result.summary.resourceChanges?.delete ?? 0).toBe(0);

    const threeUp = await waitFor("3 aggregators UP in both backends", 30000, async () => {
      const up = await upInBothBackends(statsPort);
      return up.length === 3 ? up : undefined;
    });
    timings.scaleOutDiscovered = threeUp.ms;
    await waitFor("events at the new aggregator", 60000, () =>
      collectFrom(aggregator(2)) > 0 ? true : undefined,
    );

    // Keep what aggregator-2 received before it goes, for the no-loss check.
    collectFrom(aggregator(0));
    collectFrom(aggregator(1));
    collectFrom(aggregator(2));
    const inward = await up(2);
    timings.scaleIn = inward.ms;
    expect(inward.result.summary.resourceChanges).toMatchObject({ delete: 5 });
    expect(inward.result.summary.resourceChanges?.create ?? 0).toBe(0);
    expect(() => docker("inspect", aggregator(2))).toThrow();
    expect(containerIdentity(naming.balancerContainerName)).toBe(haproxyBefore);
    expect([aggregator(0), aggregator(1), ...agents].map(containerIdentity)).toEqual(othersBefore);
  });

  it("3. a stopped aggregator leaves rotation within the health-check bound, the other keeps receiving, and it comes back", async () => {
    const bound = maxDownDetectionMs(healthCheckProfile) + boundMarginMs;
    await waitFor("2 aggregators UP after scale-in", 30000, async () =>
      (await upInBothBackends(statsPort)).length === 2 ? true : undefined,
    );
    // Loss is counted from here: every line the demo apps write from now on must arrive. The baseline
    // is what each app has written (its file's last line), not the highest number received so far: an
    // older line may still be in flight, and what the removed aggregator-2 took in its last moments
    // went with it (retries can deliver an agent's batches out of order around a removal).
    baseline = writtenByDemoApps(
      Object.fromEntries(agents.map((agent, index) => [agent, naming.demoAppName(index)])),
    );
    expect(Object.values(baseline).every((n) => n > 0)).toBe(true);
    const stopIssued = Date.now();
    docker("stop", aggregator(0));
    const stopped = Date.now();
    const down = await waitFor("aggregator-0 out of rotation", 30000, async () => {
      const up = await upInBothBackends(statsPort);
      return !up.includes(aggregator(0)) ? true : undefined;
    });
    timings.failoverDetectedAfterStop = Date.now() - stopped;
    timings.failoverFromStopIssued = Date.now() - stopIssued;
    console.log(
      `Failover: out of rotation ${timings.failoverDetectedAfterStop} ms after the container stopped ` +
        `(bound ${bound} ms = the ${healthCheckProfile} profile's ${maxDownDetectionMs(healthCheckProfile)} ms ` +
        `+ ${boundMarginMs} ms for polling and load)`,
    );
    expect(down.value).toBe(true);
    expect(timings.failoverDetectedAfterStop).toBeLessThanOrEqual(bound);

    const before = ledger.linesReceivedBy(aggregator(1));
    await waitFor("events keep arriving at aggregator-1", 30000, () =>
      collectFrom(aggregator(1)) > before + 4 ? true : undefined,
    );

    docker("start", aggregator(0));
    const back = await waitFor("aggregator-0 UP again", 60000, async () =>
      (await upInBothBackends(statsPort)).includes(aggregator(0)) ? true : undefined,
    );
    timings.recovery = back.ms;
  });

  it("3b. a frozen aggregator (paused, still in DNS) is marked DOWN by the health checks within the bound", async () => {
    // Frozen, its kernel still accepts the check's connection: the checks fail by their answer's timeout.
    const bound = maxDownDetectionMs(healthCheckProfile, "no-answer") + boundMarginMs;
    await waitFor("2 aggregators UP", 30000, async () =>
      (await upInBothBackends(statsPort)).length === 2 ? true : undefined,
    );
    const names = addressesOfAggregators();
    const frozenAddress = [...names].find(([, name]) => name === aggregator(1))?.[0];
    docker("pause", aggregator(1));
    const paused = Date.now();
    try {
      const statuses = await waitFor("aggregator-1 DOWN in both backends", 30000, async () => {
        const servers = (await balancerServers(statsPort)).filter(
          (s) => s.address.split(":")[0] === frozenAddress,
        );
        return servers.length === 2 && servers.every((s) => s.status.startsWith("DOWN"))
          ? servers.map((s) => s.status)
          : undefined;
      });
      timings.frozenMarkedDown = Date.now() - paused;
      console.log(`Frozen aggregator: DOWN after ${timings.frozenMarkedDown} ms (bound ${bound} ms)`);
      expect(statuses.value).toHaveLength(2);
      expect(timings.frozenMarkedDown).toBeLessThanOrEqual(bound);
      const before = collectFrom(aggregator(0));
      await waitFor("events keep arriving at aggregator-0", 30000, () =>
        collectFrom(aggregator(0)) > before + 4 ? true : undefined,
      );
    } finally {
      docker("unpause", aggregator(1));
    }
    const back = await waitFor("aggregator-1 UP again", 60000, async () =>
      (await upInBothBackends(statsPort)).includes(aggregator(1)) ? true : undefined,
    );
    timings.frozenRecovery = back.ms;
  });

  it("3c. no agent event was lost through the stop and the freeze: no gap in any agent's sequence", async () => {
    // Every sequence number each agent's demo app wrote since the baseline arrives somewhere (the app
    // wrote on through the stop, the freeze and both recoveries): no gap, and each has moved on.
    let gaps: Record<string, number[]> = {};
    await waitFor("every agent past its baseline with no gap in its sequence", 60000, () => {
      collectFrom(aggregator(0));
      collectFrom(aggregator(1));
      const latest = ledger.highest();
      gaps = ledger.account(baseline, latest).lost;
      return agents.every((agent) => gaps[agent].length === 0 && latest[agent] - baseline[agent] > 5)
        ? true
        : undefined;
    }).catch((error: Error) => {
      throw new Error(
        `${error.message}; missing: ${describeLost(gaps)}; baseline ${JSON.stringify(baseline)}, ` +
          `latest received ${JSON.stringify(ledger.highest())}`,
      );
    });
  });

  it("4. destroy leaves no container, network, volume or image of the stack, and the stack is removed", async () => {
    const started = Date.now();
    const result = await stack.destroy({ color: "never" });
    timings.destroy = Date.now() - started;
    destroyed = true;
    expect(result.summary.result).toBe("succeeded");
    expect(stackDockerObjects(projectName, stackName)).toEqual({
      containers: [],
      networks: [],
      volumes: [],
      images: [],
    });
    await removeLabStack({ stackName, backendDir, pulumiHome: mode.pulumiHome });
    const workspaceStacks = await stack.workspace.listStacks();
    expect(workspaceStacks.map((s) => s.name)).not.toContain(stackName);
  });
});
