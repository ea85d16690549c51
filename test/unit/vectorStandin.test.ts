/**
 * The Vector stand-in (test/standins/vector) as the lab runs it, without Docker: an aggregator and an
 * agent as child processes on 127.0.0.1, configured by the lab's own renderers (addresses, ports and
 * in-container paths rewritten to free ports and a temporary folder), with a throwaway CA made by
 * openssl. The agent reads its certificate, key and CA as inline PEM, the aggregator from files.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as http2 from "http2";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import { parse, stringify } from "yaml";
import { aggregatorHealthcheck } from "../../components/aggregatorPool";
import { aggregatorPorts, vectorPaths } from "../../components/constants";
import {
  agentVectorConfig,
  aggregatorVectorConfig,
  componentIds,
  renderVectorYaml,
  type VectorConfig,
} from "../../components/vectorConfig";
import { clientTlsOptions } from "../standins/vector/src/tls";
import { freePort } from "../support/host";
import { makeCa, makeLeaf } from "../support/throwawayCa";

jest.setTimeout(60_000);

const repo = path.resolve(__dirname, "../..");
const agentName = "agent-0";
const aggregatorName = "aggregator-0";
const sequenced = new RegExp(`^(\\d+) ${agentName} `);

let work: string;
let mainJs: string;
/** The compiled stand-in lives in the temporary folder; `yaml` comes from the repo (the image copies it). */
const standinEnv = { ...process.env, NODE_PATH: path.join(repo, "node_modules") };
/** The Node that runs the stand-in: this one, or e.g. Debian bookworm's Node 18 as in the image. */
const standinNode = process.env.VECTOR_STANDIN_NODE || process.execPath;
const children = new Set<ChildProcess>();

// ---- helpers --------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 100 ms for at most `timeoutMs`; fails naming `what` (and logs) otherwise. */
async function waitFor(what: string, timeoutMs: number, condition: () => boolean | Promise<boolean>) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await condition()) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${logs()}`);
}

const file = (name: string) => path.join(work, name);
const read = (name: string) => fs.readFileSync(file(name), "utf8");

/** Deep-replaces strings: what the lab renders for a container, pointed at this test's ports and files. */
function rewrite<T>(value: T, replace: (text: string) => string): T {
  if (typeof value === "string") return replace(value) as T;
  if (Array.isArray(value)) return value.map((item) => rewrite(item, replace)) as T;
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, replace)])) as T;
  return value;
}

interface Proc {
  child: ChildProcess;
  out: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
const started: Record<string, Proc[]> = {};

function logs(): string {
  return Object.entries(started)
    .map(([name, list]) => list.map((proc, index) => `--- ${name} #${index}\n${proc.out}`).join("\n"))
    .join("\n");
}

function startStandin(name: string, configFile: string): Proc {
  const child = spawn(standinNode, [mainJs, "--config", configFile], {
    stdio: ["ignore", "pipe", "pipe"],
    env: standinEnv,
  });
  children.add(child);
  const proc: Proc = {
    child,
    out: "",
    exit: new Promise((resolve) =>
      child.on("exit", (code, signal) => {
        children.delete(child);
        resolve({ code, signal });
      }),
    ),
  };
  child.stdout?.on("data", (chunk: Buffer) => (proc.out += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (proc.out += chunk.toString()));
  (started[name] ??= []).push(proc);
  return proc;
}

/** SIGTERM, then the exit code and how long it took. */
async function stopStandin(proc: Proc): Promise<{ code: number | null; ms: number }> {
  const begin = Date.now();
  proc.child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ code: number }>(
    (resolve) => (timer = setTimeout(() => resolve({ code: -1 }), 5_000)),
  );
  const result = await Promise.race([proc.exit, timeout]);
  clearTimeout(timer);
  return { code: result.code, ms: Date.now() - begin };
}

/** Runs the stand-in on a config and returns how it exited (for configs it must refuse). */
function runOnce(yamlText: string): { status: number | null; stderr: string } {
  const configFile = file(`refused-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(configFile, yamlText);
  const result = spawnSync(standinNode, [mainJs, "--config", configFile], {
    timeout: 10_000,
    encoding: "utf8",
    env: standinEnv,
  });
  return { status: result.status, stderr: result.stderr };
}

interface Received {
  message: string;
  timestamp: string;
  host: string;
  service: string;
  source_type: string;
}

function received(): Received[] {
  const text = fs.existsSync(receivedFile) ? fs.readFileSync(receivedFile, "utf8") : "";
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Received);
}

/** Sequence numbers of the agent's demo events that arrived, in arrival order. */
function sequenceNumbers(): number[] {
  return received()
    .map((event) => sequenced.exec(event.message))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => Number(match[1]));
}

/** Every number from 0 to the highest seen, or the first missing one. */
function firstGap(numbers: number[]): number | undefined {
  const seen = new Set(numbers);
  const max = Math.max(-1, ...numbers);
  for (let n = 0; n <= max; n++) if (!seen.has(n)) return n;
  return undefined;
}

/** One `POST /events` over HTTP/2 as a client with `options`; the status, or the error's text. */
function tryVectorPost(authority: string, options: http2.SecureClientSessionOptions): Promise<string> {
  return new Promise((resolve) => {
    const session = http2.connect(authority, options);
    const done = (result: string) => {
      clearTimeout(timer);
      session.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done("timeout"), 5_000);
    session.on("error", (error) => done(`error: ${error.message}`));
    session.on("close", () => done("closed without an answer"));
    const request = session.request({
      ":method": "POST",
      ":path": "/events",
      "content-type": "application/json",
    });
    request.on("response", (headers) => done(`status ${headers[":status"]}`));
    request.on("error", (error) => done(`error: ${error.message}`));
    request.on("close", () => done("closed without an answer"));
    request.end(JSON.stringify({ events: [] }));
  });
}

function tryRemoteWritePost(port: number, options: https.RequestOptions): Promise<string> {
  return new Promise((resolve) => {
    const request = https.request(
      { host: "127.0.0.1", port, path: "/", method: "POST", timeout: 5_000, agent: false, ...options },
      (response) => {
        response.resume();
        resolve(`status ${response.statusCode}`);
      },
    );
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", (error) => resolve(`error: ${error.message}`));
    request.end(JSON.stringify({ events: [] }));
  });
}

/** Sends `text` on a plain TCP connection and returns everything the server answered. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = net.connect(port, "127.0.0.1", () => socket.end(text));
    socket.setTimeout(3_000, () => socket.destroy(new Error("timeout")));
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
  });
}

function httpGet(port: number, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: pathname, timeout: 3_000 }, (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

// ---- setup ----------------------------------------------------------------------------------

const ports = { vector: 0, remoteWrite: 0, api: 0, exporter: 0 };
let aggregatorConfigFile: string;
let agentConfigFile: string;
let agentConfig: VectorConfig;
let receivedFile: string;
let agentDataDir: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "vector-standin-test-"));
  // Compile the stand-in as the image build does (its own tsconfig), into the temporary folder.
  const build = file("build");
  execFileSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "-p", "test/standins/vector/tsconfig.json", "--outDir", build],
    { cwd: repo, stdio: "pipe" },
  );
  mainJs = path.join(build, "test/standins/vector/src/main.js");

  makeCa(work, "ca");
  makeLeaf(
    work,
    "ca",
    aggregatorName,
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
  );
  makeLeaf(work, "ca", agentName, `subjectAltName=DNS:${agentName}\nextendedKeyUsage=clientAuth\n`);
  makeCa(work, "other-ca");
  makeLeaf(work, "other-ca", "intruder", "subjectAltName=DNS:intruder\nextendedKeyUsage=clientAuth\n");

  ports.vector = await freePort();
  ports.remoteWrite = await freePort();
  ports.api = await freePort();
  ports.exporter = await freePort();

  const aggregatorDataDir = file("aggregator-data");
  const aggregator = rewrite(
    aggregatorVectorConfig({ nodeName: aggregatorName, maxConnectionAgeSecs: 1 }),
    (text) =>
      text
        .replace(`0.0.0.0:${aggregatorPorts.vector}`, `127.0.0.1:${ports.vector}`)
        .replace(`0.0.0.0:${aggregatorPorts.remoteWrite}`, `127.0.0.1:${ports.remoteWrite}`)
        .replace(`0.0.0.0:${aggregatorPorts.api}`, `127.0.0.1:${ports.api}`)
        .replace(`0.0.0.0:${aggregatorPorts.metricsExporter}`, `127.0.0.1:${ports.exporter}`)
        .replace(vectorPaths.caCert, file("ca.pem"))
        .replace(vectorPaths.nodeCert, file(`${aggregatorName}.crt`))
        .replace(vectorPaths.nodeKey, file(`${aggregatorName}.key`))
        .replace(vectorPaths.dataDir, aggregatorDataDir),
  );
  receivedFile = path.join(aggregatorDataDir, "received", `${aggregatorName}.log`);
  aggregatorConfigFile = file("aggregator.yaml");
  fs.writeFileSync(aggregatorConfigFile, renderVectorYaml(aggregator));

  agentDataDir = file("agent-data");
  agentConfig = agentVectorConfig({
    agentName,
    balancerHost: "127.0.0.1",
    vectorPort: ports.vector,
    remoteWritePort: ports.remoteWrite,
    // Inline PEM, as Vector accepts it.
    tls: { caFile: read("ca.pem"), crtFile: read(`${agentName}.crt`), keyFile: read(`${agentName}.key`) },
    buffer: "disk",
    eventIntervalSecs: 0.05,
  });
  agentConfig.data_dir = agentDataDir;
  agentConfigFile = file("agent.yaml");
  fs.writeFileSync(agentConfigFile, renderVectorYaml(agentConfig));
});

afterAll(() => {
  if (process.env.VECTOR_STANDIN_TEST_LOGS) process.stdout.write(`${logs()}\n`);
  for (const child of children) child.kill("SIGKILL");
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

// ---- tests ----------------------------------------------------------------------------------

describe("the Vector stand-in refuses configs it does not implement", () => {
  it("exits non-zero naming an unknown option", () => {
    const config = parse(renderVectorYaml(agentConfig));
    config.sinks[componentIds.toBalancer].foo = 1;
    const result = runOnce(stringify(config));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      "vector-standin: sinks.to_balancer.foo: option not supported by the stand-in",
    );
  });

  it("exits non-zero naming an unknown component type and an unsupported value", () => {
    const config = parse(renderVectorYaml(agentConfig));
    config.sources.extra = { type: "kafka" };
    config.sinks[componentIds.toBalancer].buffer.when_full = "drop_newest";
    const result = runOnce(stringify(config));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('sources.extra: component type "kafka" not supported by the stand-in');
    expect(result.stderr).toContain('sinks.to_balancer.buffer.when_full: value "drop_newest" not supported');
  });
});

describe("the stand-in's client TLS settings (the vector sink's)", () => {
  /** A TLS handshake to a server with the aggregator's certificate, as the sink would dial `host`. */
  async function handshake(host: string, verifyHostname: boolean): Promise<string> {
    const server = tls.createServer({
      cert: read(`${aggregatorName}.crt`),
      key: read(`${aggregatorName}.key`),
    });
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const options = clientTlsOptions(
      { enabled: true, ca_file: read("ca.pem"), verify_certificate: true, verify_hostname: verifyHostname },
      host,
      "sinks.test.tls",
    );
    const port = (server.address() as net.AddressInfo).port;
    try {
      return await new Promise<string>((resolve) => {
        const socket = tls.connect({ ...options, host: "127.0.0.1", port }, () => {
          socket.destroy();
          resolve("ok");
        });
        socket.on("error", (error) => resolve(`error: ${error.message}`));
      });
    } finally {
      server.close();
    }
  }

  it("checks the name it dialled against the server's certificate, unless verify_hostname is false", async () => {
    expect(await handshake("localhost", true)).toBe("ok"); // named in the certificate
    expect(await handshake("127.0.0.1", true)).toBe("ok");
    expect(await handshake("elsewhere.example", true)).toMatch(/^error: Hostname\/IP does not match/);
    expect(await handshake("elsewhere.example", false)).toBe("ok");
  });
});

describe("an aggregator and an agent stand-in, as the lab renders them", () => {
  let aggregator: Proc;
  let agent: Proc;

  it("starts, and /health answers 200 to the lab's Docker health check", async () => {
    aggregator = startStandin("aggregator", aggregatorConfigFile);
    await waitFor("the aggregator's /health", 10_000, () =>
      httpGet(ports.api, "/health").then(
        (response) => response.status === 200,
        () => false,
      ),
    );
    expect(await httpGet(ports.api, "/health")).toEqual({ status: 200, body: '{"ok":true}' });
    // The very command Docker runs in the container (bash /dev/tcp, HTTP/1.0), on this test's port.
    const [, shell, flag, script] = aggregatorHealthcheck.tests as string[];
    const probe = spawnSync(shell, [flag, script.replace(`/${aggregatorPorts.api}`, `/${ports.api}`)], {
      timeout: 5_000,
    });
    expect(probe.status).toBe(0);
    // HTTP/1.1 without a Host header, as a bare HAProxy httpchk may send it.
    expect(await rawRequest(ports.api, "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n")).toMatch(
      /^HTTP\/1\.1 200 /,
    );
  });

  it("delivers the agent's events, with its name and consecutive sequence numbers, to the file sink", async () => {
    agent = startStandin("agent", agentConfigFile);
    await waitFor("20 events at the aggregator", 15_000, () => sequenceNumbers().length >= 20);
    const numbers = sequenceNumbers();
    expect(firstGap(numbers)).toBeUndefined();
    expect(new Set(numbers).size).toBe(numbers.length);
    const event = received().find((item) => sequenced.test(item.message)) as Received;
    expect(event).toMatchObject({ host: os.hostname(), service: "vector", source_type: "vector" });
    expect(event.message).toMatch(new RegExp(`^\\d+ ${agentName} demo event from vector-ha-lab$`));
    expect(Number.isNaN(Date.parse(event.timestamp))).toBe(false);
  });

  it("refuses a client with no certificate, with another CA's certificate, or in plaintext", async () => {
    const authority = `https://127.0.0.1:${ports.vector}`;
    // Refused: the handshake fails, or the server drops the connection before any answer.
    const refused = /^(error|closed)/;
    const ca = read("ca.pem");
    const agentCert = { cert: read(`${agentName}.crt`), key: read(`${agentName}.key`) };
    const intruder = { cert: read("intruder.crt"), key: read("intruder.key") };
    // The control: the agent's own certificate gets in, so the refusals below are about the certificate.
    expect(await tryVectorPost(authority, { ca, ...agentCert })).toBe("status 200");
    expect(await tryVectorPost(authority, { ca })).toMatch(refused);
    expect(await tryVectorPost(authority, { ca, ...intruder })).toMatch(refused);
    expect(await tryVectorPost(`http://127.0.0.1:${ports.vector}`, {})).toMatch(refused);
    // The same rules on the remote-write source.
    expect(await tryRemoteWritePost(ports.remoteWrite, { ca, ...agentCert })).toBe("status 200");
    expect(await tryRemoteWritePost(ports.remoteWrite, { ca })).toMatch(refused);
    expect(await tryRemoteWritePost(ports.remoteWrite, { ca, ...intruder })).toMatch(refused);
    // And the aggregator says so in its log, once per refused handshake (3 + 2 above).
    const refusals = () => aggregator.out.match(/refused a TLS client/g)?.length ?? 0;
    await waitFor("5 refusals in the aggregator's log", 3_000, () => refusals() >= 5);
    expect(refusals()).toBeGreaterThanOrEqual(5);
  });

  it("counts events per sending agent and exports the agent's remote-written metrics", async () => {
    const perAgent = new RegExp(
      `^vector_standin_received_events_by_agent_total\\{agent="${agentName}",component_id="from_agents".* [1-9]`,
      "m",
    );
    let body = "";
    await waitFor("per-agent counters and host metrics on /metrics", 10_000, async () => {
      body = (await httpGet(ports.exporter, "/metrics")).body;
      return perAgent.test(body) && /^host_load1\{/m.test(body);
    });
    expect(body).toMatch(perAgent);
    expect(body).toMatch(new RegExp(`^host_load1\\{collector="load",host="${os.hostname()}"`, "m"));
    expect(body).toContain("# TYPE vector_component_sent_events_total counter");
  });

  it("closes connections older than max_connection_age_secs, and the agent reconnects", async () => {
    // The `vector` sink's connections (not metrics_to_balancer's), and the aggregator's view of them.
    const connects = () => (agent.out.match(/vector-standin: to_balancer: connected to /g) ?? []).length;
    const accepted = () =>
      (aggregator.out.match(new RegExp(`from_agents: connection from .* \\(${agentName}\\)`, "g")) ?? [])
        .length;
    await waitFor("a third connection of the agent", 10_000, () => connects() >= 3 && accepted() >= 3);
    expect(aggregator.out).toMatch(/from_agents: closing the connection .* \(max_connection_age_secs\)/);
    expect(agent.out).toMatch(/to_balancer: 127\.0\.0\.1:\d+ closed the connection \(GOAWAY\)/);
  });

  it("keeps the events while the aggregator answers with an error (its file sink fails)", async () => {
    const before = sequenceNumbers().length;
    const moved = `${receivedFile}.moved`;
    // A directory where the file should be: appending fails, the aggregator answers 500. The aggregator
    // appends concurrently (and recreates a missing file), so whatever it wrote meanwhile is kept.
    fs.renameSync(receivedFile, moved);
    for (let attempt = 0; ; attempt++) {
      try {
        fs.mkdirSync(receivedFile);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 5) throw error;
        fs.renameSync(receivedFile, `${moved}.stray`);
        fs.appendFileSync(moved, fs.readFileSync(`${moved}.stray`));
        fs.rmSync(`${moved}.stray`);
      }
    }
    await waitFor("the agent to see a 500", 5_000, () =>
      /to_balancer: sending .* failed .* status 500/.test(agent.out),
    );
    fs.rmdirSync(receivedFile);
    fs.appendFileSync(receivedFile, fs.readFileSync(moved));
    fs.rmSync(moved);
    await waitFor("delivery to resume", 10_000, () => sequenceNumbers().length > before + 10);
    expect(agent.out).toMatch(/to_balancer: delivering to .* again after \d+ failed attempt/);
    expect(firstGap(sequenceNumbers())).toBeUndefined();
  });

  it("loses no sequence number across an aggregator outage and an agent restart (disk buffer, acks)", async () => {
    const before = Math.max(...sequenceNumbers());
    const aggregatorStop = await stopStandin(aggregator);
    expect(aggregatorStop).toEqual({ code: 0, ms: expect.any(Number) });
    expect(aggregatorStop.ms).toBeLessThan(2_000);

    // Events pile up in the agent's disk buffer meanwhile.
    const bufferDir = path.join(agentDataDir, "buffer", componentIds.toBalancer);
    await sleep(1_500);
    const buffered = fs.readdirSync(bufferDir).filter((name) => name.endsWith(".jsonl"));
    expect(buffered.length).toBeGreaterThan(0);

    const agentStop = await stopStandin(agent);
    expect(agentStop.code).toBe(0);
    expect(agentStop.ms).toBeLessThan(2_000);
    agent = startStandin("agent", agentConfigFile);
    await sleep(1_000);
    aggregator = startStandin("aggregator", aggregatorConfigFile);

    const nextFile = path.join(agentDataDir, "demo_logs", `${componentIds.demoLogs}.next_sequence`);
    const target = Number(fs.readFileSync(nextFile, "utf8")) + 20;
    await waitFor(`every sequence number up to ${target}`, 20_000, () => {
      const numbers = sequenceNumbers();
      return Math.max(-1, ...numbers) >= target && firstGap(numbers) === undefined;
    });
    const events = received().filter((event) => sequenced.test(event.message));
    expect(firstGap(sequenceNumbers())).toBeUndefined();
    expect(Math.max(...sequenceNumbers())).toBeGreaterThan(before + 20);
    // A number seen twice is the same event sent again (at least once), never a reused number.
    const byNumber = new Map<string, string>();
    for (const event of events) {
      const seen = byNumber.get(event.message);
      if (seen !== undefined) expect(event.timestamp).toBe(seen);
      byNumber.set(event.message, event.timestamp);
    }
    const restarted = started.agent[1].out;
    expect(restarted).toMatch(/to_balancer: disk buffer .* holds \d+ event\(s\) from before the restart/);
    expect(restarted).toMatch(/demo_logs: continuing the sequence at \d+/);
  });

  it("stops on SIGTERM within 2 s with exit code 0", async () => {
    for (const proc of [agent, aggregator]) {
      const result = await stopStandin(proc);
      expect(result.code).toBe(0);
      expect(result.ms).toBeLessThan(2_000);
    }
  });
});
