/**
 * The swarm target on a local cluster of 3 Docker engines (npm run lab -- cluster up): up with one
 * aggregator per node and both balancers seeing every aggregator; TLS refusals through a balancer;
 * scale-out seen by both balancers without restarting them; a node's power loss (an aggregator's,
 * then a balancer's) with no sequence gap for any agent; a CA rotation that rolls every task; destroy
 * and `cluster down` leaving nothing. Prints its timings.
 */
import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { labelKeys, projectName } from "../../components/constants";
import { maxDownDetectionMs } from "../../components/haproxyConfig";
import { labNaming } from "../../components/naming";
import { detectLabMode } from "../../scripts/labMode";
import { balancerServers } from "../../scripts/labStatus";
import { swarmTasks, type SwarmTask } from "../../scripts/swarmStatus";
import { makeCa, makeLeaf } from "../../scripts/throwawayCerts";
import { tlsAttempt } from "../../scripts/tlsProbe";
import { repoRoot } from "../support/host";
import { labStackFile, removeLabCommandStack } from "../support/labCommandStack";

interface ClusterNode {
  node: number;
  hostname: string;
  address: string;
  dockerHost: string;
  dataRoot: string;
  up: boolean;
}

const stackName = `swarm-${crypto.randomBytes(3).toString("hex")}`;
const naming = labNaming(projectName, stackName);
const services = [naming.aggregatorPoolHostname, naming.balancerHostname, naming.agentServiceName];
const ports = { vector: 19093, stats: 8404 };
const timings: Record<string, string> = {};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function lab(...args: string[]): string {
  return execFileSync("npm", ["run", "--silent", "lab", "--", ...args, "--stack", stackName], {
    cwd: repoRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}
const cluster = (...args: string[]): string =>
  execFileSync("bash", [path.join(repoRoot, "scripts", "cluster.sh"), ...args], { encoding: "utf8" });
const layout = (): ClusterNode[] => (JSON.parse(cluster("layout")) as { nodes: ClusterNode[] }).nodes;
const nodeDocker = (node: ClusterNode, ...args: string[]): string =>
  execFileSync("docker", ["-H", node.dockerHost, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });

let nodes: ClusterNode[];
let manager: ClusterNode;
const running = (): SwarmTask[] =>
  swarmTasks(manager.dockerHost, services).filter((task) => /^Running/.test(task.state));
const tasksOf = (service: string): SwarmTask[] => running().filter((task) => task.service === service);
/** Ids of the tasks of `service` that Swarm wants running: a task replaced gets a new id. */
const taskIds = (service: string): string[] =>
  nodeDocker(manager, "service", "ps", "-q", "--filter", "desired-state=running", service)
    .split("\n")
    .filter(Boolean);
const nodeNamed = (hostname: string): ClusterNode => nodes.find((n) => n.hostname === hostname)!;

/** Polls `probe` every `everyMs` until it returns a value, or fails after `withinMs` saying `what`. */
async function until<T>(
  what: string,
  withinMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  let lastError = "";
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await sleep(everyMs);
  }
  throw new Error(`${what}: not within ${withinMs / 1000} s ${lastError}`);
}

/** Aggregator addresses UP in both backends of the balancer on `node`. */
async function upSeenBy(node: ClusterNode): Promise<string[]> {
  const servers = await balancerServers(`http://${node.address}:${ports.stats}/stats`, 2000);
  const up = (backend: string) =>
    servers.filter((s) => s.backend === backend && s.status === "UP").map((s) => s.address.split(":")[0]);
  const vector = up("vector_aggregators");
  const remoteWrite = up("remote_write_aggregators");
  return vector.filter((address) => remoteWrite.includes(address)).sort();
}

/** The balancers' nodes, each once every balancer sees `count` aggregators UP in both backends. */
async function balancersSee(count: number, withinMs = 90000): Promise<ClusterNode[]> {
  return until(`both balancers see ${count} aggregators UP`, withinMs, async () => {
    const balancerNodes = tasksOf(naming.balancerHostname).map((t) => nodeNamed(t.node));
    if (balancerNodes.length !== 2) return undefined;
    const seen = await Promise.all(balancerNodes.map(upSeenBy));
    return seen.every((addresses) => addresses.length === count) ? balancerNodes : undefined;
  });
}

/** Every (agent identity, number) read so far: a file read once counts even if its volume goes later. */
const seen = new Map<string, Set<number>>();

/**
 * What the aggregators wrote, read from every node's disk (a node powered off included) and added to
 * what was read before (Swarm may remove a rolled task's container and volume, the file with it): per
 * agent identity (the task's host name), the sequence numbers received.
 */
function received(): Map<string, number[]> {
  for (const node of layout()) {
    const volumes = path.join(node.dataRoot, "volumes");
    if (!fs.existsSync(volumes)) continue;
    for (const volume of fs.readdirSync(volumes)) {
      const file = path.join(volumes, volume, "_data", "received", "aggregator.log");
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch {
        continue; // none, or removed since listed
      }
      for (const line of text
        .slice(0, text.lastIndexOf("\n") + 1)
        .split("\n")
        .filter(Boolean)) {
        const event = JSON.parse(line) as { host: string; message: string };
        const numbers = seen.get(event.host) ?? new Set<number>();
        numbers.add(Number(event.message.split(" ")[0]));
        seen.set(event.host, numbers);
      }
    }
  }
  return new Map([...seen].map(([agent, numbers]) => [agent, [...numbers]]));
}

/**
 * How far behind an identity's highest number a missing one may still be on its way: while a node is
 * down, an agent's request to a balancer there waits its 10 s timeout before it is retried through the
 * other (seen: one event delayed about every 10 s for up to a minute, until Vector marks that endpoint
 * unhealthy), so numbers arrive out of order by up to about 15 at one a second.
 */
const inFlight = 20;

/** Per agent identity, the numbers missing between 1 and its highest less `inFlight`: none is the goal. */
function gaps(byAgent: Map<string, number[]>): Record<string, number[]> {
  const missing: Record<string, number[]> = {};
  for (const [agent, seqs] of byAgent) {
    const have = new Set(seqs);
    const settled = Math.max(...seqs) - inFlight;
    const absent = Array.from({ length: Math.max(settled, 0) }, (_, i) => i + 1).filter((n) => !have.has(n));
    if (absent.length > 0) missing[agent] = absent.slice(0, 20);
  }
  return missing;
}

/**
 * Waits (up to 45 s) until no agent identity has a settled gap, and returns, for agents that died with
 * their node (`dead`), the numbers among their last `inFlight` that never came: what they had read but
 * not yet delivered went with their node.
 */
async function noGaps(dead: string[] = []): Promise<Record<string, number[]>> {
  let found: Record<string, number[]> = {};
  try {
    return await until(
      "no agent's numbers with a gap",
      45000,
      () => {
        const byAgent = received();
        found = gaps(byAgent);
        if (Object.keys(found).length > 0) return undefined;
        return Object.fromEntries(
          dead
            .filter((agent) => byAgent.has(agent))
            .map((agent) => {
              const have = new Set(byAgent.get(agent));
              const top = Math.max(...have);
              const tail = Array.from({ length: inFlight }, (_, i) => top - i).filter(
                (n) => n > 0 && !have.has(n),
              );
              return [agent, tail];
            }),
        );
      },
      1000,
    );
  } catch {
    throw new Error(`agents' numbers with a gap: ${JSON.stringify(found)}`);
  }
}

/** The agent identities (container ids, the `host` of their events) running on `node`. */
const agentsOn = (node: ClusterNode): string[] =>
  nodeDocker(node, "ps", "--filter", `label=${labelKeys.role}=agent`, "--format", "{{.ID}}")
    .split("\n")
    .filter(Boolean);

const highest = (byAgent: Map<string, number[]>): Record<string, number> =>
  Object.fromEntries([...byAgent].map(([agent, seqs]) => [agent, Math.max(...seqs)]));

/**
 * Waits until each of `agents` (default: as many identities as agent tasks run, replacements
 * included) delivered at least `more` events past `before`.
 */
async function agentsDeliverPast(
  before: Record<string, number>,
  more: number,
  withinMs: number,
  agents?: string[],
): Promise<void> {
  const who = agents ? `agents ${agents.join(", ")}` : "every running agent";
  let now: Record<string, number> = {};
  try {
    await until(`${who} deliver ${more} more events`, withinMs, () => {
      now = highest(received());
      const moved = Object.keys(now).filter((agent) => now[agent] >= (before[agent] ?? 0) + more);
      const done = agents
        ? agents.every((agent) => moved.includes(agent))
        : moved.length >= tasksOf(naming.agentServiceName).length;
      return done ? true : undefined;
    });
  } catch (error) {
    const stuck = (agents ?? nodes.flatMap(safeAgentsOn)).filter(
      (agent) => !(now[agent] >= (before[agent] ?? 0) + more),
    );
    throw new Error(
      `${(error as Error).message}\nbefore: ${JSON.stringify(before)}\nnow: ${JSON.stringify(now)}\n` +
        stuck.map(agentLogTail).join("\n"),
    );
  }
}

/** The agents on `node`, or none if it does not answer (powered off). */
function safeAgentsOn(node: ClusterNode): string[] {
  try {
    return agentsOn(node);
  } catch {
    return [];
  }
}

/**
 * Where agent `agent` runs (or ran: an exited container is listed too), its state, and the last lines
 * its Vector logged: what a stuck agent's failure shows.
 */
function agentLogTail(agent: string): string {
  for (const node of nodes) {
    const found = spawnSync("docker", ["-H", node.dockerHost, "ps", "-aq", "--filter", `id=${agent}`], {
      encoding: "utf8",
    });
    if (!found.stdout.trim()) continue;
    const state = spawnSync(
      "docker",
      [
        "-H",
        node.dockerHost,
        "inspect",
        "-f",
        "{{.State.Status}} exit {{.State.ExitCode}} at {{.State.FinishedAt}}",
        agent,
      ],
      { encoding: "utf8" },
    );
    const logs = spawnSync("docker", ["-H", node.dockerHost, "logs", "--tail", "25", agent], {
      encoding: "utf8",
    });
    return `agent ${agent} on ${node.hostname} (${state.stdout.trim()}), its last log lines:\n${logs.stdout}${logs.stderr}`;
  }
  return `agent ${agent}: on no node that answers`;
}

/** The agents running on every node but `victim`: those a node's loss must not stop. */
const survivorsOf = (victim: ClusterNode): string[] => nodes.filter((n) => n !== victim).flatMap(agentsOn);

function stackFileSettings(): string {
  return [
    `# Written by test/lab/swarm.test.ts; removed when it ends.`,
    "config:",
    `  ${projectName}:target: swarm`,
    `  ${projectName}:dockerHost: ${manager.dockerHost}`,
    `  ${projectName}:aggregators: 3`,
    `  ${projectName}:agents: 2`,
    `  ${projectName}:balancers: 2`,
    "",
  ].join("\n");
}

/** Powers a node off, returning when; `afterwards` runs while it is off; then powers it on, until Ready. */
async function withNodeOff(node: ClusterNode, afterwards: (offAt: number) => Promise<void>): Promise<void> {
  cluster("power-off", String(node.node));
  const offAt = Date.now();
  try {
    await afterwards(offAt);
  } finally {
    cluster("power-on", String(node.node));
    await until(`${node.hostname} Ready again`, 60000, () =>
      nodeDocker(manager, "node", "inspect", "-f", "{{.Status.State}}", node.hostname).trim() === "ready"
        ? true
        : undefined,
    );
  }
}

// The stand-in docker plugin has no Swarm resources: in stand-ins mode the target is refused by name.
const swarmPossible = detectLabMode(process.env, repoRoot).kind !== "standins";

// Declared only in the mode it applies to: nothing is reported as skipped.
const describeIf = (condition: boolean) => (condition ? describe : () => undefined);

describeIf(!swarmPossible)("the swarm target in stand-ins mode", () => {
  it("is refused by name before anything is created", () => {
    fs.writeFileSync(labStackFile(stackName), `config:\n  ${projectName}:target: swarm\n`);
    try {
      const run = spawnSync("npm", ["run", "--silent", "lab", "--", "up", "--stack", stackName], {
        cwd: repoRoot,
        encoding: "utf8",
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/target: got "swarm"; allowed: docker in stand-ins mode/);
    } finally {
      fs.rmSync(labStackFile(stackName), { force: true });
    }
  });
});

describeIf(swarmPossible)("the lab on a local Docker Swarm of 3 nodes", () => {
  beforeAll(() => {
    const started = Date.now();
    execFileSync("npm", ["run", "--silent", "lab", "--", "cluster", "up", "3"], {
      cwd: repoRoot,
      stdio: "pipe",
    });
    timings["cluster up (3 nodes, images loaded)"] = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    nodes = layout();
    manager = nodes[0];
    fs.writeFileSync(labStackFile(stackName), stackFileSettings());
  });

  afterAll(async () => {
    try {
      // After a failure midway: the stack down while the cluster still runs, then the cluster gone.
      if (fs.existsSync("/run/vector-ha-lab/cluster")) {
        try {
          lab("down");
        } catch (error) {
          console.log(`down after a failure: ${(error as Error).message}`);
        }
        cluster("down");
      }
      await removeLabCommandStack(stackName, () => undefined);
    } finally {
      console.log(
        `Swarm timings:\n${Object.entries(timings)
          .map(([k, v]) => `  ${k}: ${v}`)
          .join("\n")}`,
      );
    }
  });

  it("comes up with one aggregator per node, and both balancers see every aggregator UP", async () => {
    const started = Date.now();
    const output = lab("up");
    expect(output).toContain("The lab is up on the Swarm");
    const balancerNodes = await balancersSee(3);
    timings["lab up, until both balancers see 3 aggregators UP"] =
      `${((Date.now() - started) / 1000).toFixed(1)} s`;
    const aggregatorNodes = tasksOf(naming.aggregatorPoolHostname)
      .map((t) => t.node)
      .sort();
    expect(aggregatorNodes).toEqual(nodes.map((n) => n.hostname).sort());
    expect(new Set(balancerNodes.map((n) => n.hostname)).size).toBe(2);
    const status = lab("status");
    for (const node of nodes) expect(status).toContain(node.hostname);
    expect(status.match(/ UP$/gm)?.length).toBe(2 * 2 * 3);
    // Events flow from both agents.
    await until("both agents deliver", 60000, () => (received().size >= 2 ? true : undefined));
  });

  it("refuses through a balancer a client without a certificate or with another CA's, and a client that does not trust the lab", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-tls-"));
    try {
      makeCa(dir, "other-ca");
      makeLeaf(dir, "other-ca", "stranger", "extendedKeyUsage=clientAuth\n");
      const balancer = nodeNamed(tasksOf(naming.balancerHostname)[0].node);
      const attempt = (options: Record<string, unknown>) =>
        tlsAttempt(ports.vector, "h2", {
          host: balancer.address,
          servername: naming.balancerTaskHostname(1),
          rejectUnauthorized: false,
          ...options,
        });
      const read = (name: string) => fs.readFileSync(path.join(dir, name));
      expect(await attempt({})).toBe("refused");
      expect(await attempt({ cert: read("stranger.crt"), key: read("stranger.key") })).toBe("refused");
      expect(
        await attempt({
          cert: read("stranger.crt"),
          key: read("stranger.key"),
          rejectUnauthorized: true,
          ca: read("other-ca.pem"),
        }),
      ).toBe("refused");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("scales 3 → 4, seen by both balancers without restarting them", async () => {
    const balancersBefore = tasksOf(naming.balancerHostname).map((t) => t.name + t.node);
    const idsBefore = taskIds(naming.balancerHostname).sort();
    const started = Date.now();
    lab("scale", "4");
    await balancersSee(4);
    timings["scale 3 → 4, until both balancers see 4 UP"] = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    expect(tasksOf(naming.balancerHostname).map((t) => t.name + t.node)).toEqual(balancersBefore);
    expect(taskIds(naming.balancerHostname).sort()).toEqual(idsBefore);
  });

  it("loses an aggregator's node: DOWN within the check bound, replicas back, no sequence gap", async () => {
    const victim = nodeNamed(
      tasksOf(naming.aggregatorPoolHostname)
        .map((t) => t.node)
        .find((n) => n !== manager.hostname)!,
    );
    const survivingBalancers = tasksOf(naming.balancerHostname)
      .map((t) => nodeNamed(t.node))
      .filter((n) => n !== victim);
    // Every aggregator on the victim (after the scale-out one node runs two), by its address on the lab's network.
    const victimAddresses = nodeDocker(victim, "ps", "-q", "--filter", `label=${labelKeys.role}=aggregator`)
      .split("\n")
      .filter(Boolean)
      .flatMap((id) =>
        Object.values(
          JSON.parse(nodeDocker(victim, "inspect", "-f", "{{json .NetworkSettings.Networks}}", id)) as Record<
            string,
            { IPAddress: string }
          >,
        ).map((n) => n.IPAddress),
      );
    expect(victimAddresses.length).toBeGreaterThan(0);
    const before = highest(received());
    const dead = agentsOn(victim);
    await withNodeOff(victim, async (offAt) => {
      const downMs = await until(
        "the victim's aggregator DOWN on every surviving balancer",
        30000,
        async () => {
          const views = await Promise.all(survivingBalancers.map(upSeenBy));
          return views.every((up) => victimAddresses.every((a) => !up.includes(a)))
            ? Date.now() - offAt
            : undefined;
        },
        50,
      );
      timings["aggregator node off → DOWN in HAProxy"] =
        `${downMs} ms (bound ${maxDownDetectionMs("standard")} ms)`;
      // The bound, plus what polling every 50 ms and reading the stats page may add.
      expect(downMs).toBeLessThanOrEqual(maxDownDetectionMs("standard") + 500);
      const restoredMs = await until(
        "4 aggregators running again",
        60000,
        () => {
          const live = tasksOf(naming.aggregatorPoolHostname).filter((t) => t.node !== victim.hostname);
          return live.length === 4 ? Date.now() - offAt : undefined;
        },
        250,
      );
      timings["aggregator node off → replica count back"] = `${(restoredMs / 1000).toFixed(1)} s`;
      await balancersSee(4);
      await agentsDeliverPast(before, inFlight + 10, 120000);
      const lost = await noGaps(dead);
      timings["aggregator node off → lost with the node's own agent"] = JSON.stringify(lost);
    });
  });

  it("loses a balancer's node: agents keep delivering through the other, no sequence gap", async () => {
    const victim = nodeNamed(
      tasksOf(naming.balancerHostname)
        .map((t) => t.node)
        .find((n) => n !== manager.hostname)!,
    );
    const before = highest(received());
    const dead = agentsOn(victim);
    const survivors = survivorsOf(victim);
    await withNodeOff(victim, async (offAt) => {
      await agentsDeliverPast(before, 5, 60000, survivors);
      timings["balancer node off → every surviving agent delivered 5 more"] =
        `${((Date.now() - offAt) / 1000).toFixed(1)} s`;
      // Then long enough that every number sent around the loss is settled, and checked; a replacement
      // for an agent that died with the node must deliver too.
      await agentsDeliverPast(before, inFlight + 10, 120000);
      timings["balancer node off → every agent, replacements included, delivered 30 more"] =
        `${((Date.now() - offAt) / 1000).toFixed(1)} s`;
      const lost = await noGaps(dead);
      timings["balancer node off → lost with the node's own agent"] = JSON.stringify(lost);
    });
  });

  it("rotates the CA: every task holding a certificate rolls, with no sequence gap", async () => {
    const before = Object.fromEntries(services.map((service) => [service, taskIds(service)]));
    const started = Date.now();
    lab("rotate-ca");
    timings["rotate-ca (3 phases, aggregators and agents rolled in each)"] =
      `${((Date.now() - started) / 1000).toFixed(1)} s`;
    for (const service of [naming.aggregatorPoolHostname, naming.agentServiceName]) {
      expect({ service, kept: taskIds(service).filter((id) => before[service].includes(id)) }).toEqual({
        service,
        kept: [],
      });
    }
    // Passthrough: HAProxy holds no certificate, so a rotation leaves the balancers alone.
    expect(taskIds(naming.balancerHostname).sort()).toEqual(before[naming.balancerHostname].sort());
    await balancersSee(4);
    await agentsDeliverPast(highest(received()), inFlight + 10, 120000);
    expect(await noGaps()).toEqual({});
  });

  it("destroys everything on every node, then `cluster down` leaves nothing on this host", async () => {
    const started = Date.now();
    lab("down");
    timings["down"] = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    const filter = ["--filter", `label=${labelKeys.stack}=${stackName}`];
    await until("no container, volume or network of the stack on any node", 60000, () => {
      const left = layout().flatMap((node) => [
        ...nodeDocker(node, "ps", "-aq", ...filter).split("\n"),
        ...nodeDocker(node, "volume", "ls", "-q", ...filter).split("\n"),
        ...nodeDocker(node, "network", "ls", "-q", ...filter).split("\n"),
      ]);
      return left.filter(Boolean).length === 0 ? true : undefined;
    });
    for (const kind of ["service", "secret", "config"]) {
      expect(nodeDocker(manager, kind, "ls", "-q", ...filter).trim()).toBe("");
    }
    const downStarted = Date.now();
    cluster("down");
    timings["cluster down"] = `${((Date.now() - downStarted) / 1000).toFixed(1)} s`;
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toMatch(/vhl-/);
    expect(execFileSync("ip", ["-o", "link"], { encoding: "utf8" })).not.toMatch(/vhl-/);
    expect(fs.existsSync("/run/vector-ha-lab")).toBe(false);
    expect(fs.existsSync("/var/lib/vector-ha-lab")).toBe(false);
    for (const hierarchy of ["cpu", "memory", "pids", "devices", "freezer"]) {
      expect(
        fs.readdirSync(`/sys/fs/cgroup/${hierarchy}`).filter((d) => d.startsWith("vector-ha-lab-node-")),
      ).toEqual([]);
    }
    expect(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })).not.toContain(
      "/run/vector-ha-lab/cluster",
    );
    expect(execFileSync("mount", { encoding: "utf8" })).not.toContain("vector-ha-lab/cluster");
  });
});
