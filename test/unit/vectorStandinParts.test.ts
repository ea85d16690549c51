/**
 * Parts of the Vector stand-in (test/standins/vector/src) in process, without starting it: its config
 * validation against what the lab renders and against configs it must refuse, and its disk buffer.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import {
  agentVectorConfig,
  aggregatorVectorConfig,
  componentIds,
  hostAgentVectorConfig,
  renderVectorYaml,
} from "../../components/vectorConfig";
import { DiskBuffer, MemoryBuffer } from "../standins/vector/src/buffer";
import {
  ConfigError,
  configPathFrom,
  unreadSources,
  validateConfig,
  type FileSourceConfig,
} from "../standins/vector/src/config";
import type { Event } from "../standins/vector/src/events";
import { checkpointPath, FileSource, type Checkpoint } from "../standins/vector/src/fileSource";
import { Pipeline, type Sink } from "../standins/vector/src/pipeline";
import { devAgentSpec } from "../support/labSpecs";

const agentSpec = devAgentSpec;

/** A parsed YAML document, edited freely by the cases below. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- YAML documents are untyped
type Doc = Record<string, any>;

/** What the stand-in reads: the rendered YAML parsed back. */
const rendered = {
  aggregator: () =>
    parse(renderVectorYaml(aggregatorVectorConfig({ nodeName: "agg-0", maxConnectionAgeSecs: 60 }))),
  agent: () => parse(renderVectorYaml(agentVectorConfig(agentSpec))),
  hostAgent: () =>
    parse(
      renderVectorYaml(
        hostAgentVectorConfig({
          ...agentSpec,
          agentName: "vector-ha-lab-dev-host-agent",
          eventIntervalSecs: 1,
          tls: {
            caFile: "-----BEGIN CERTIFICATE-----\n…",
            crtFile: "-----BEGIN CERTIFICATE-----\n…",
            keyFile: "k",
          },
        }),
      ),
    ),
};

function problems(document: unknown): string[] {
  try {
    validateConfig(document);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("the stand-in's config validation", () => {
  it.each(Object.keys(rendered) as Array<keyof typeof rendered>)(
    "accepts what the lab renders: %s",
    (name) => {
      const document = rendered[name]();
      expect(problems(document)).toEqual([]);
      expect(unreadSources(validateConfig(document))).toEqual([]);
    },
  );

  const broken: Array<[string, (config: Doc) => void, string]> = [
    [
      "a transform",
      (c) => (c.transforms = { t: { type: "remap" } }),
      "transforms: option not supported by the stand-in",
    ],
    [
      "an API option",
      (c) => (c.api.playground = true),
      "api.playground: option not supported by the stand-in",
    ],
    [
      "a nested unknown option",
      (c) => (c.sources.from_agents.tls.alpn_protocols = ["h2"]),
      "sources.from_agents.tls.alpn_protocols: option not supported by the stand-in",
    ],
    [
      "an unknown sink type",
      (c) => (c.sinks.x = { type: "console", inputs: ["from_agents"] }),
      'sinks.x: component type "console" not supported by the stand-in',
    ],
    [
      "an input that names nothing",
      (c) => c.sinks.received_logs.inputs.push("nowhere"),
      'sinks.received_logs.inputs[1]: no source named "nowhere"',
    ],
    [
      "a log source into a metrics sink",
      (c) => c.sinks.metrics_exporter.inputs.push("from_agents"),
      "sinks.metrics_exporter.inputs[2]: prometheus_exporter takes metrics",
    ],
    [
      "an address without a port",
      (c) => (c.sources.from_agents.address = "0.0.0.0"),
      "sources.from_agents.address: expected host:port",
    ],
    [
      "a wrong type",
      (c) => (c.sources.from_agents.keepalive.max_connection_age_secs = "60"),
      "expected a number",
    ],
    [
      "a templated path",
      (c) => (c.sinks.received_logs.path = "/x/{{ host }}.log"),
      "templates are not supported",
    ],
    ["another codec", (c) => (c.sinks.received_logs.encoding.codec = "text"), 'value "text" not supported'],
    ["interpolation", (c) => (c.sinks.received_logs.path = "${HOME}/x"), "interpolation is not supported"],
    ["no sources", (c) => (c.sources = {}), "sources: at least one is required"],
  ];
  it.each(broken)("refuses an aggregator config with %s, naming it", (_name, breakIt, expected) => {
    const document = rendered.aggregator();
    breakIt(document);
    expect(problems(document).join("\n")).toContain(expected);
  });

  const brokenAgent: Array<[string, (config: Doc) => void, string]> = [
    [
      "two endpoints",
      (c) => c.sinks.to_balancer.routing.endpoints.push("other:19093"),
      "sinks.to_balancer.routing.endpoints: more than 1 item(s) not supported",
    ],
    [
      "a routing strategy",
      (c) => (c.sinks.to_balancer.routing.strategy = "failover"),
      "sinks.to_balancer.routing.strategy: option not supported",
    ],
    [
      "tls.enabled on the remote-write sink",
      (c) => (c.sinks.metrics_to_balancer.tls.enabled = true),
      "sinks.metrics_to_balancer.tls.enabled: option not supported",
    ],
    [
      "a disk buffer without data_dir",
      (c) => delete c.data_dir,
      "sinks.to_balancer.buffer: a disk buffer needs the global data_dir",
    ],
    [
      "a small disk buffer",
      (c) => (c.sinks.to_balancer.buffer.max_size = 1024),
      "needs at least 268435488 bytes",
    ],
    [
      "drop_newest",
      (c) => (c.sinks.to_balancer.buffer.when_full = "drop_newest"),
      'value "drop_newest" not supported',
    ],
    [
      "a missing endpoint",
      (c) => delete c.sinks.metrics_to_balancer.endpoint,
      "sinks.metrics_to_balancer.endpoint: required",
    ],
    [
      "a glob in include",
      (c) => (c.sources.app_logs.include = ["/var/log/demo-app/*.log"]),
      "sources.app_logs.include[0]: glob patterns are not supported by the stand-in",
    ],
    [
      "a brace glob in include",
      (c) => (c.sources.app_logs.include = ["/var/log/demo-app/app.{log,txt}"]),
      "sources.app_logs.include[0]: glob patterns are not supported by the stand-in",
    ],
    [
      "two files in include",
      (c) => c.sources.app_logs.include.push("/var/log/other.log"),
      "sources.app_logs.include: more than 1 item(s) not supported",
    ],
    [
      "a relative path in include",
      (c) => (c.sources.app_logs.include = ["app.log"]),
      "sources.app_logs.include[0]: must be an absolute path",
    ],
    [
      "an unknown file-source option",
      (c) => (c.sources.app_logs.exclude = ["/var/log/demo-app/x.log"]),
      "sources.app_logs.exclude: option not supported by the stand-in",
    ],
    [
      "a file-source fingerprint",
      (c) => (c.sources.app_logs.fingerprint = { strategy: "device_and_inode" }),
      "sources.app_logs.fingerprint: option not supported by the stand-in",
    ],
    [
      "read_from: end",
      (c) => (c.sources.app_logs.read_from = "end"),
      'sources.app_logs.read_from: value "end" not supported by the stand-in',
    ],
    [
      "a file source without data_dir",
      (c) => delete c.data_dir,
      "sources.app_logs: the file source needs the global data_dir",
    ],
    [
      "end-to-end acknowledgements of file lines through a memory buffer",
      (c) => (c.sinks.to_balancer.buffer = { type: "memory", max_size: 1 << 20 }),
      "sinks.to_balancer.acknowledgements.enabled: end-to-end acknowledgements for app_logs (file) without a disk buffer",
    ],
    [
      "an unknown health-check option",
      (c) => (c.sinks.metrics_to_balancer.healthcheck.uri = "/health"),
      "sinks.metrics_to_balancer.healthcheck.uri: option not supported by the stand-in",
    ],
  ];
  it.each(brokenAgent)("refuses an agent config with %s, naming it", (_name, breakIt, expected) => {
    const document = rendered.agent();
    breakIt(document);
    expect(problems(document).join("\n")).toContain(expected);
  });

  const brokenHostAgent: Array<[string, (config: Doc) => void, string]> = [
    [
      "another demo format",
      (c) => (c.sources.demo_logs.format = "json"),
      'sources.demo_logs.format: value "json"',
    ],
    [
      "a zero interval",
      (c) => (c.sources.demo_logs.interval = 0),
      "sources.demo_logs.interval: must be greater than 0",
    ],
    ["a demo count", (c) => (c.sources.demo_logs.count = 5), "sources.demo_logs.count: option not supported"],
    [
      "a health check that is not a boolean",
      (c) => (c.sinks.metrics_to_balancer.healthcheck.enabled = "no"),
      "sinks.metrics_to_balancer.healthcheck.enabled: expected true or false",
    ],
  ];
  it.each(brokenHostAgent)("refuses a host agent config with %s, naming it", (_name, breakIt, expected) => {
    const document = rendered.hostAgent();
    breakIt(document);
    expect(problems(document).join("\n")).toContain(expected);
  });

  it('takes the options the lab\'s agents now set: healthcheck, acknowledgements off, data_dir "."', () => {
    const agent = validateConfig(rendered.agent());
    expect(agent.sinks[componentIds.metricsToBalancer]).toMatchObject({
      acknowledgements: { enabled: false },
      healthcheck: { enabled: false },
    });
    expect(agent.sources[componentIds.appLogs]).toMatchObject({ type: "file", read_from: "beginning" });
    const hostAgent = validateConfig(rendered.hostAgent());
    expect(hostAgent.data_dir).toBe(".");
    expect(hostAgent.sinks[componentIds.toBalancer]).toMatchObject({ acknowledgements: { enabled: false } });
    // A vector sink's health check too, though the lab renders none there.
    const document = rendered.agent();
    document.sinks[componentIds.toBalancer].healthcheck = { enabled: true };
    expect(problems(document)).toEqual([]);
  });

  it("reports every problem at once", () => {
    const document = rendered.agent();
    document.sinks[componentIds.toBalancer].foo = 1;
    document.sources[componentIds.hostMetrics].bar = 2;
    expect(problems(document)).toEqual([
      "sources.host_metrics.bar: option not supported by the stand-in",
      "sinks.to_balancer.foo: option not supported by the stand-in",
    ]);
  });

  it("takes the config path from --config, then $VECTOR_CONFIG, then the image's default", () => {
    expect(configPathFrom(["--config", "/a.yaml"], { VECTOR_CONFIG: "/b.yaml" }, "/c.yaml")).toBe("/a.yaml");
    expect(configPathFrom(["--config=/a.yaml"], {}, "/c.yaml")).toBe("/a.yaml");
    expect(configPathFrom([], { VECTOR_CONFIG: "/b.yaml" }, "/c.yaml")).toBe("/b.yaml");
    expect(configPathFrom([], {}, "/c.yaml")).toBe("/c.yaml");
    expect(() => configPathFrom(["--watch"], {}, "/c.yaml")).toThrow(ConfigError);
  });
});

const log = (n: number): Event => ({ log: { message: `${n} x` } });
const numbers = (events: Event[] | undefined) =>
  (events ?? []).map((event) =>
    Number(String((event as { log: { message: string } }).log.message).split(" ")[0]),
  );

describe("the stand-in's disk buffer", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "vector-standin-buffer-"));
    jest.spyOn(process.stdout, "write").mockImplementation(() => true); // the buffer's log lines
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("hands out the oldest events and forgets them only once acknowledged, across restarts", async () => {
    const first = new DiskBuffer(dir, 1 << 30, "test");
    await first.push([log(0), log(1), log(2)]);
    expect(numbers(await first.peek(2))).toEqual([0, 1]);
    expect(numbers(await first.peek(2))).toEqual([0, 1]); // not acknowledged: the same again
    first.ack(1);
    await first.push([log(3)]);
    first.close();

    const second = new DiskBuffer(dir, 1 << 30, "test");
    expect(second.size().events).toBe(3);
    expect(numbers(await second.peek(10))).toEqual([1, 2]);
    second.ack(2);
    expect(numbers(await second.peek(10))).toEqual([3]);
    second.ack(1);
    expect(second.size()).toEqual({ events: 0, bytes: 0 });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("writes bounded segments and reads them back in order", async () => {
    const buffer = new DiskBuffer(dir, 1 << 30, "test");
    const big = (n: number): Event => ({ log: { message: `${n} ${"x".repeat(1024 * 1024)}` } });
    for (let n = 0; n < 6; n++) await buffer.push([big(n)]);
    expect(fs.readdirSync(dir).filter((name) => name.endsWith(".jsonl")).length).toBeGreaterThan(1);
    const seen: number[] = [];
    for (let round = 0; round < 10 && seen.length < 6; round++) {
      const events = await buffer.peek(100);
      seen.push(...numbers(events));
      buffer.ack(events?.length ?? 0);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    buffer.close();
  });

  it("ignores a partial last line left by a crash", async () => {
    fs.writeFileSync(path.join(dir, "0000000001.jsonl"), `${JSON.stringify(log(7))}\n{"log":{"mess`);
    const buffer = new DiskBuffer(dir, 1 << 30, "test");
    expect(numbers(await buffer.peek(10))).toEqual([7]);
    buffer.close();
  });

  it("blocks pushes while full, and frees them as events are acknowledged (never drops)", async () => {
    const buffer = new DiskBuffer(dir, 10, "test");
    await buffer.push([log(0)]); // over 10 bytes already
    let pushed = false;
    const second = buffer.push([log(1)]).then((ok) => (pushed = ok));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pushed).toBe(false);
    expect(numbers(await buffer.peek(10))).toEqual([0]);
    buffer.ack(1);
    await second;
    expect(pushed).toBe(true);
    expect(numbers(await buffer.peek(10))).toEqual([1]);
    buffer.close();
  });

  it("memory: the same contract, bounded by bytes", async () => {
    const buffer = new MemoryBuffer(10);
    await buffer.push([log(0), log(1)]);
    let pushed = false;
    const third = buffer.push([log(2)]).then((ok) => (pushed = ok));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pushed).toBe(false);
    expect(numbers(await buffer.peek(1))).toEqual([0]);
    buffer.ack(2);
    await third;
    expect(numbers(await buffer.peek(10))).toEqual([2]);
    buffer.close();
    expect(await buffer.peek(10)).toBeUndefined();
  });
});

describe("the stand-in's file source", () => {
  let dir: string;
  let logFile: string;
  let dataDir: string;
  let output: string;
  const config = (): FileSourceConfig => ({ type: "file", include: [logFile], read_from: "beginning" });
  const running: FileSource[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "vector-standin-file-"));
    logFile = path.join(dir, "app", "app.log");
    dataDir = path.join(dir, "data");
    output = "";
    jest.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      output += String(chunk);
      return true;
    });
  });
  afterEach(async () => {
    for (const source of running.splice(0)) {
      await source.stop();
      await source.stopped();
    }
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  async function waitFor(what: string, condition: () => boolean): Promise<void> {
    for (let waited = 0; !condition(); waited += 10) {
      if (waited > 3_000) throw new Error(`timed out waiting for ${what}\n${output}`);
      await sleep(10);
    }
  }

  /** A running source whose events go to `sinks` (by default one that takes everything at once). */
  async function startSource(...sinks: Sink[]): Promise<FileSource> {
    const pipeline = new Pipeline({ logs: "file" });
    sinks.forEach((sink, index) => pipeline.connect(`sink${index}`, sink, ["logs"]));
    const source = new FileSource("logs", config(), pipeline, dataDir, { pollMs: 20 });
    running.push(source);
    await source.start();
    return source;
  }
  async function stopSource(source: FileSource): Promise<void> {
    await source.stop();
    await source.stopped();
    running.splice(running.indexOf(source), 1);
  }
  function collector(): Sink & { messages: string[]; events: Event[] } {
    const events: Event[] = [];
    const messages: string[] = [];
    return {
      events,
      messages,
      accept: async (batch) => {
        events.push(...batch);
        messages.push(...batch.map((event) => String((event as { log: { message: string } }).log.message)));
      },
    };
  }
  const checkpoint = (): Checkpoint | undefined =>
    fs.existsSync(checkpointPath(dataDir, "logs"))
      ? (JSON.parse(fs.readFileSync(checkpointPath(dataDir, "logs"), "utf8")) as Checkpoint)
      : undefined;
  const append = (text: string) => fs.appendFileSync(logFile, text);

  it("waits for the file, emits complete lines only (with Vector's fields), and only reads the file", async () => {
    const sink = collector();
    await startSource(sink);
    await waitFor("the waiting message", () => output.includes(`logs: waiting for ${logFile} to exist`));
    fs.mkdirSync(path.dirname(logFile));
    append("1 first\n2 second\n3 thi");
    await waitFor("two lines", () => sink.messages.length >= 2);
    // The module object itself: `import * as fs` gives a frozen view of it.
    const opened = jest.spyOn(jest.requireActual<typeof fs>("fs"), "openSync");
    await sleep(150); // several polls with a partial last line pending
    expect(sink.messages).toEqual(["1 first", "2 second"]);
    expect(opened.mock.calls.filter(([file]) => file === logFile).length).toBeGreaterThan(1);
    for (const [file, flags] of opened.mock.calls) if (file === logFile) expect(flags).toBe("r");
    opened.mockRestore();
    expect(sink.events[0]).toEqual({
      log: {
        file: logFile,
        host: os.hostname(),
        message: "1 first",
        source_type: "file",
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    });
    expect(checkpoint()).toMatchObject({ path: logFile, offset: "1 first\n2 second\n".length });
    append("rd\n\n4 fourth ünïcode\n");
    await waitFor("the completed line", () => sink.messages.length >= 5);
    expect(sink.messages.slice(2)).toEqual(["3 third", "", "4 fourth ünïcode"]);
    expect(checkpoint()?.offset).toBe(fs.statSync(logFile).size);
  });

  it("resumes after a restart at its checkpoint: no line lost, none read twice", async () => {
    fs.mkdirSync(path.dirname(logFile));
    append("1\n2\n");
    const first = collector();
    const source = await startSource(first);
    await waitFor("two lines", () => first.messages.length >= 2);
    await stopSource(source);
    append("3\n4\n");
    const second = collector();
    await startSource(second);
    await waitFor("two more lines", () => second.messages.length >= 2);
    await sleep(100);
    expect([...first.messages, ...second.messages]).toEqual(["1", "2", "3", "4"]);
    expect(output).toContain(`logs: resuming ${logFile} at byte 4 (checkpoint)`);
  });

  it("moves the checkpoint only once every sink took a batch, and stops reading while one blocks", async () => {
    fs.mkdirSync(path.dirname(logFile));
    append("1\n2\n");
    const quick = collector();
    let release: () => void = () => undefined;
    let blocked = 0;
    // A sink whose buffer is full (when_full: block): it takes the batch only when released.
    const slow: Sink = {
      accept: () => {
        blocked += 1;
        return new Promise<void>((resolve) => (release = resolve));
      },
    };
    await startSource(quick, slow);
    await waitFor("the batch at both sinks", () => quick.messages.length === 2 && blocked === 1);
    append("3\n");
    await sleep(150);
    expect(checkpoint()).toBeUndefined(); // nothing acknowledged yet
    expect(blocked).toBe(1); // and nothing more read meanwhile
    expect(quick.messages).toEqual(["1", "2"]);
    release();
    await waitFor("the next line", () => quick.messages.length === 3 && blocked === 2);
    expect(checkpoint()?.offset).toBe(4);
    release();
    await waitFor("the checkpoint after line 3", () => checkpoint()?.offset === 6);
  });

  it("reads a batch again after a restart if a sink stopped before taking it", async () => {
    fs.mkdirSync(path.dirname(logFile));
    append("1\n2\n");
    const closed: Sink = {
      accept: async () => {
        throw new Error("sink0: stopped before taking the events");
      },
    };
    const source = await startSource(closed);
    await waitFor("the failure in the log", () => output.includes("stopped before taking the events"));
    await stopSource(source);
    expect(checkpoint()).toBeUndefined();
    const sink = collector();
    await startSource(sink);
    await waitFor("both lines", () => sink.messages.length >= 2);
    expect(sink.messages).toEqual(["1", "2"]);
  });

  it("reads a truncated, replaced or rewritten file from the start", async () => {
    fs.mkdirSync(path.dirname(logFile));
    append("1 aaaa\n2 bbbb\n");
    const sink = collector();
    const source = await startSource(sink);
    await waitFor("two lines", () => sink.messages.length >= 2);
    fs.writeFileSync(logFile, "x\n"); // truncated: same inode, shorter
    await waitFor("the line after truncation", () => sink.messages.length >= 3);
    expect(output).toContain("was truncated");
    const replacement = `${logFile}.new`;
    fs.writeFileSync(replacement, "y1\ny2\n");
    fs.renameSync(replacement, logFile); // rotated: another inode
    await waitFor("the replaced file's lines", () => sink.messages.length >= 5);
    expect(output).toContain("is another file now");
    await stopSource(source);
    // Rewritten while stopped: same inode, longer than the checkpoint, but other first bytes.
    fs.writeFileSync(logFile, "z1\nz2\nz3\n");
    const after = collector();
    await startSource(after);
    await waitFor("the rewritten file's lines", () => after.messages.length >= 3);
    expect(sink.messages).toEqual(["1 aaaa", "2 bbbb", "x", "y1", "y2"]);
    expect(after.messages).toEqual(["z1", "z2", "z3"]);
    expect(output).toContain("is not the checkpointed file (its first bytes differ)");
  });
});
