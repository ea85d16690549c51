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
  renderVectorYaml,
} from "../../components/vectorConfig";
import { DiskBuffer, MemoryBuffer } from "../standins/vector/src/buffer";
import { ConfigError, configPathFrom, unreadSources, validateConfig } from "../standins/vector/src/config";
import type { Event } from "../standins/vector/src/events";
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
        agentVectorConfig({
          ...agentSpec,
          buffer: "memory",
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
      "a missing endpoint",
      (c) => delete c.sinks.metrics_to_balancer.endpoint,
      "sinks.metrics_to_balancer.endpoint: required",
    ],
  ];
  it.each(brokenAgent)("refuses an agent config with %s, naming it", (_name, breakIt, expected) => {
    const document = rendered.agent();
    breakIt(document);
    expect(problems(document).join("\n")).toContain(expected);
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
