/**
 * Loading and validating vector.yaml. The tables below are the complete list of what the stand-in
 * understands: exactly the components and options the lab renders (components/vectorConfig.ts). Any
 * other component type, option or value is an error naming it, so a config the stand-in does not
 * understand can never quietly pass.
 */
import * as fs from "fs";
import { parse } from "yaml";

/** The shape of one option: what the YAML value must be. */
type Schema =
  | { t: "string"; values?: readonly string[] }
  | { t: "bool" }
  | { t: "number"; integer?: boolean; min?: number; positive?: boolean }
  | { t: "array"; items: Schema; minItems?: number; maxItems?: number }
  | { t: "object"; fields: Record<string, Field> }
  /** A map of components, each checked against its type's table (checkComponents). */
  | { t: "components" };

interface Field {
  schema: Schema;
  required?: boolean;
}

const str: Schema = { t: "string" };
const bool: Schema = { t: "bool" };
const positive: Schema = { t: "number", positive: true };
const uint: Schema = { t: "number", integer: true, min: 0 };
const opt = (schema: Schema): Field => ({ schema });
const req = (schema: Schema): Field => ({ schema, required: true });
const obj = (fields: Record<string, Field>): Schema => ({ t: "object", fields });
const oneOf = (...values: string[]): Schema => ({ t: "string", values });
const inputs = req({ t: "array", items: str, minItems: 1 });

/** Server side (sources): no `verify_hostname` in what the lab renders. */
const serverTls = obj({
  enabled: opt(bool),
  ca_file: opt(str),
  crt_file: opt(str),
  key_file: opt(str),
  verify_certificate: opt(bool),
});
const vectorSinkTls = obj({
  enabled: opt(bool),
  ca_file: opt(str),
  crt_file: opt(str),
  key_file: opt(str),
  verify_certificate: opt(bool),
  verify_hostname: opt(bool),
});
/** Vector's `prometheus_remote_write` sink has no `tls.enabled`: the endpoint's scheme decides. */
const remoteWriteSinkTls = obj({
  ca_file: opt(str),
  crt_file: opt(str),
  key_file: opt(str),
  verify_certificate: opt(bool),
  verify_hostname: opt(bool),
});
const keepalive = obj({ max_connection_age_secs: opt(uint) });
const buffer = obj({
  type: req(oneOf("disk", "memory")),
  max_size: req({ t: "number", integer: true, min: 1 }),
  when_full: opt(oneOf("block")),
});
const acknowledgements = obj({ enabled: opt(bool) });
/** Accepted on the network sinks; the stand-in runs no health check (see the README). */
const healthcheck = obj({ enabled: opt(bool) });
/** Only the cap of the retry backoff, which the stand-in honours (its backoff doubles from 250 ms). */
const request = obj({ retry_max_duration_secs: opt({ t: "number", integer: true, min: 1 }) });

const sourceSchemas: Record<string, Record<string, Field>> = {
  vector: {
    address: req(str),
    version: opt(oneOf("2")),
    keepalive: opt(keepalive),
    tls: opt(serverTls),
  },
  prometheus_remote_write: { address: req(str), keepalive: opt(keepalive), tls: opt(serverTls) },
  internal_metrics: {},
  demo_logs: {
    format: req(oneOf("shuffle")),
    lines: req({ t: "array", items: str, minItems: 1 }),
    sequence: opt(bool),
    interval: opt(positive),
  },
  host_metrics: { scrape_interval_secs: opt(positive) },
  file: {
    // One literal absolute path (checked in checkTopology): no globs, no exclude.
    include: req({ t: "array", items: str, minItems: 1, maxItems: 1 }),
    read_from: opt(oneOf("beginning")),
  },
};

const sinkSchemas: Record<string, Record<string, Field>> = {
  // The stand-in always answers a sender once its sinks have written (see receivers.ts).
  file: {
    inputs,
    path: req(str),
    encoding: req(obj({ codec: req(oneOf("json")) })),
    acknowledgements: opt(acknowledgements),
  },
  prometheus_exporter: { inputs, address: opt(str) },
  vector: {
    inputs,
    routing: req(obj({ endpoints: req({ t: "array", items: str, minItems: 1, maxItems: 1 }) })),
    tls: opt(vectorSinkTls),
    buffer: opt(buffer),
    acknowledgements: opt(acknowledgements),
    healthcheck: opt(healthcheck),
    request: opt(request),
  },
  prometheus_remote_write: {
    inputs,
    endpoint: req(str),
    tls: opt(remoteWriteSinkTls),
    buffer: opt(buffer),
    acknowledgements: opt(acknowledgements),
    healthcheck: opt(healthcheck),
    request: opt(request),
  },
};

const topLevel: Record<string, Field> = {
  data_dir: opt(str),
  api: opt(obj({ enabled: opt(bool), address: opt(str) })),
  sources: req({ t: "components" }),
  sinks: req({ t: "components" }),
};

/** Sources whose events are metrics: the only ones a metrics sink may read. */
const metricSourceTypes = new Set(["prometheus_remote_write", "internal_metrics", "host_metrics"]);

/** Vector refuses disk buffers smaller than this (FACTS.md, "Every sink"). */
const minimumDiskBufferBytes = 268435488;

// ---- the typed result -------------------------------------------------------------------------

export interface TlsOptions {
  enabled?: boolean;
  ca_file?: string;
  crt_file?: string;
  key_file?: string;
  verify_certificate?: boolean;
  verify_hostname?: boolean;
}

export interface BufferOptions {
  type: "disk" | "memory";
  max_size: number;
  when_full?: "block";
}

export interface VectorSourceConfig {
  type: "vector";
  address: string;
  version?: "2";
  keepalive?: { max_connection_age_secs?: number };
  tls?: TlsOptions;
}
export interface RemoteWriteSourceConfig {
  type: "prometheus_remote_write";
  address: string;
  keepalive?: { max_connection_age_secs?: number };
  tls?: TlsOptions;
}
export interface InternalMetricsConfig {
  type: "internal_metrics";
}
export interface DemoLogsConfig {
  type: "demo_logs";
  format: "shuffle";
  lines: string[];
  sequence?: boolean;
  interval?: number;
}
export interface HostMetricsConfig {
  type: "host_metrics";
  scrape_interval_secs?: number;
}
export interface FileSourceConfig {
  type: "file";
  include: string[];
  read_from?: "beginning";
}
export type SourceConfig =
  | VectorSourceConfig
  | RemoteWriteSourceConfig
  | InternalMetricsConfig
  | DemoLogsConfig
  | HostMetricsConfig
  | FileSourceConfig;

export interface FileSinkConfig {
  type: "file";
  inputs: string[];
  path: string;
  encoding: { codec: "json" };
  acknowledgements?: { enabled?: boolean };
}
export interface ExporterSinkConfig {
  type: "prometheus_exporter";
  inputs: string[];
  address?: string;
}
export interface VectorSinkConfig {
  type: "vector";
  inputs: string[];
  routing: { endpoints: string[] };
  tls?: TlsOptions;
  buffer?: BufferOptions;
  acknowledgements?: { enabled?: boolean };
  healthcheck?: { enabled?: boolean };
  request?: { retry_max_duration_secs?: number };
}
export interface RemoteWriteSinkConfig {
  type: "prometheus_remote_write";
  inputs: string[];
  endpoint: string;
  tls?: TlsOptions;
  buffer?: BufferOptions;
  acknowledgements?: { enabled?: boolean };
  healthcheck?: { enabled?: boolean };
  request?: { retry_max_duration_secs?: number };
}
export type SinkConfig = FileSinkConfig | ExporterSinkConfig | VectorSinkConfig | RemoteWriteSinkConfig;

export interface StandinConfig {
  data_dir?: string;
  api?: { enabled?: boolean; address?: string };
  sources: Record<string, SourceConfig>;
  sinks: Record<string, SinkConfig>;
}

/** A config the stand-in refuses; `problems` name each offending option by its path. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

// ---- validation -------------------------------------------------------------------------------

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "a map" : `${typeof value} ${JSON.stringify(value)}`;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function check(value: unknown, schema: Schema, path: string, problems: string[]): void {
  switch (schema.t) {
    case "string":
      if (typeof value !== "string") problems.push(`${path}: expected a string, got ${describe(value)}`);
      else if (value.includes("${"))
        problems.push(`${path}: environment variable interpolation is not supported by the stand-in`);
      else if (schema.values && !schema.values.includes(value))
        problems.push(
          `${path}: value ${JSON.stringify(value)} not supported by the stand-in (supported: ${schema.values.join(", ")})`,
        );
      return;
    case "bool":
      if (typeof value !== "boolean")
        problems.push(`${path}: expected true or false, got ${describe(value)}`);
      return;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value))
        problems.push(`${path}: expected a number, got ${describe(value)}`);
      else if (schema.integer && !Number.isInteger(value))
        problems.push(`${path}: expected an integer, got ${value}`);
      else if (schema.min !== undefined && value < schema.min)
        problems.push(`${path}: must be at least ${schema.min}, got ${value}`);
      else if (schema.positive && value <= 0)
        problems.push(`${path}: must be greater than 0 in the stand-in, got ${value}`);
      return;
    case "array":
      if (!Array.isArray(value)) {
        problems.push(`${path}: expected a list, got ${describe(value)}`);
        return;
      }
      if (schema.minItems !== undefined && value.length < schema.minItems)
        problems.push(`${path}: needs at least ${schema.minItems} item(s)`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems)
        problems.push(`${path}: more than ${schema.maxItems} item(s) not supported by the stand-in`);
      value.forEach((item, index) => check(item, schema.items, `${path}[${index}]`, problems));
      return;
    case "object":
      checkFields(value, schema.fields, path, problems);
      return;
    case "components":
      if (!isMap(value)) problems.push(`${path}: expected a map, got ${describe(value)}`);
      return;
  }
}

function checkFields(value: unknown, fields: Record<string, Field>, path: string, problems: string[]): void {
  if (!isMap(value)) {
    problems.push(`${path}: expected a map, got ${describe(value)}`);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const field = fields[key];
    if (!field) problems.push(`${path}.${key}: option not supported by the stand-in`);
    else check(item, field.schema, `${path}.${key}`, problems);
  }
  for (const [key, field] of Object.entries(fields)) {
    if (field.required && !(key in value)) problems.push(`${path}.${key}: required option missing`);
  }
}

/** `host:port` with a port in range; returns an error text or undefined. */
export function checkAddress(address: string): string | undefined {
  const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(address);
  if (!match || Number(match[2]) > 65535) return `expected host:port, got ${JSON.stringify(address)}`;
  return undefined;
}

/** Splits a `host:port` checked by checkAddress. */
export function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(address.slice(at + 1)) };
}

function checkComponents(
  kind: "sources" | "sinks",
  value: unknown,
  schemas: Record<string, Record<string, Field>>,
  problems: string[],
): void {
  if (!isMap(value)) return; // already reported by the top level
  if (Object.keys(value).length === 0) problems.push(`${kind}: at least one is required`);
  for (const [id, component] of Object.entries(value)) {
    const path = `${kind}.${id}`;
    if (!isMap(component)) {
      problems.push(`${path}: expected a map, got ${describe(component)}`);
      continue;
    }
    const { type, ...options } = component;
    if (typeof type !== "string") {
      problems.push(`${path}.type: required option missing`);
      continue;
    }
    const fields = schemas[type];
    if (!fields) {
      problems.push(`${path}: component type ${JSON.stringify(type)} not supported by the stand-in`);
      continue;
    }
    checkFields(options, fields, path, problems);
  }
}

function checkTls(path: string, tls: TlsOptions | undefined, role: "server" | "client", problems: string[]) {
  if (!tls || (role === "server" && tls.enabled !== true)) return;
  if (role === "server" && (!tls.crt_file || !tls.key_file))
    problems.push(`${path}.tls: crt_file and key_file are required when TLS is enabled`);
  if (Boolean(tls.crt_file) !== Boolean(tls.key_file))
    problems.push(`${path}.tls: crt_file and key_file go together`);
  const verifies = role === "server" ? tls.verify_certificate === true : tls.verify_certificate !== false;
  if (verifies && !tls.ca_file && role === "server")
    problems.push(`${path}.tls: verify_certificate needs ca_file in the stand-in`);
}

/** Cross-component rules, once every component has the right shape. */
function checkTopology(config: StandinConfig, problems: string[]): void {
  const sourceIds = new Set(Object.keys(config.sources));
  for (const id of Object.keys(config.sinks)) {
    if (sourceIds.has(id)) problems.push(`sinks.${id}: the id is also used by a source`);
  }
  for (const [id, source] of Object.entries(config.sources)) {
    const path = `sources.${id}`;
    if (source.type === "vector" || source.type === "prometheus_remote_write") {
      const bad = checkAddress(source.address);
      if (bad) problems.push(`${path}.address: ${bad}`);
      checkTls(path, source.tls, "server", problems);
    }
    if (source.type === "file") {
      const include = source.include[0];
      if (/[*?[\]{}]/.test(include))
        problems.push(
          `${path}.include[0]: glob patterns are not supported by the stand-in (one literal path), got ${JSON.stringify(include)}`,
        );
      else if (!include.startsWith("/"))
        problems.push(
          `${path}.include[0]: must be an absolute path in the stand-in, got ${JSON.stringify(include)}`,
        );
      if (!config.data_dir)
        problems.push(`${path}: the file source needs the global data_dir (its checkpoints)`);
    }
  }
  for (const [id, sink] of Object.entries(config.sinks)) {
    const path = `sinks.${id}`;
    const wantsMetrics = sink.type === "prometheus_exporter" || sink.type === "prometheus_remote_write";
    sink.inputs.forEach((input, index) => {
      const source = config.sources[input];
      if (!source)
        problems.push(
          `${path}.inputs[${index}]: no source named ${JSON.stringify(input)} (transforms are not supported by the stand-in)`,
        );
      else if (wantsMetrics && !metricSourceTypes.has(source.type))
        problems.push(
          `${path}.inputs[${index}]: ${sink.type} takes metrics, ${input} (${source.type}) gives logs`,
        );
    });
    if (sink.type === "prometheus_exporter" && sink.address !== undefined) {
      const bad = checkAddress(sink.address);
      if (bad) problems.push(`${path}.address: ${bad}`);
    }
    if (sink.type === "file" && sink.path.includes("{{"))
      problems.push(`${path}.path: templates are not supported by the stand-in`);
    if (sink.type === "vector") {
      const bad = checkAddress(sink.routing.endpoints[0] ?? "");
      if (bad) problems.push(`${path}.routing.endpoints[0]: ${bad}`);
      checkTls(path, sink.tls, "client", problems);
    }
    if (sink.type === "prometheus_remote_write") {
      let url: URL | undefined;
      try {
        url = new URL(sink.endpoint);
      } catch {
        problems.push(`${path}.endpoint: not a URL: ${JSON.stringify(sink.endpoint)}`);
      }
      if (url && url.protocol !== "https:" && url.protocol !== "http:")
        problems.push(`${path}.endpoint: scheme ${url.protocol} not supported (http or https)`);
      checkTls(path, sink.tls, "client", problems);
    }
    if (sink.type === "vector" || sink.type === "prometheus_remote_write") {
      // End to end through a memory buffer would acknowledge on delivery (Vector); the stand-in only
      // acknowledges on taking the event into a buffer, which is what a disk buffer does.
      const fileInput = sink.inputs.find((input) => config.sources[input]?.type === "file");
      if (sink.acknowledgements?.enabled === true && sink.buffer?.type !== "disk" && fileInput)
        problems.push(
          `${path}.acknowledgements.enabled: end-to-end acknowledgements for ${fileInput} (file) without a disk buffer are not supported by the stand-in`,
        );
      if (sink.buffer?.type === "disk") {
        if (!config.data_dir) problems.push(`${path}.buffer: a disk buffer needs the global data_dir`);
        if (sink.buffer.max_size < minimumDiskBufferBytes)
          problems.push(
            `${path}.buffer.max_size: a disk buffer needs at least ${minimumDiskBufferBytes} bytes`,
          );
      }
    }
  }
  if (config.api?.address !== undefined) {
    const bad = checkAddress(config.api.address);
    if (bad) problems.push(`api.address: ${bad}`);
  }
}

/** Sources no sink reads: Vector only warns about them, and so does the stand-in. */
export function unreadSources(config: StandinConfig): string[] {
  const read = new Set(Object.values(config.sinks).flatMap((sink) => sink.inputs));
  return Object.keys(config.sources).filter((id) => !read.has(id));
}

/** Validates a parsed document; throws ConfigError listing every problem. */
export function validateConfig(document: unknown): StandinConfig {
  const problems: string[] = [];
  checkFields(document, topLevel, "config", problems);
  if (isMap(document)) {
    const doc = document;
    checkComponents("sources", doc.sources, sourceSchemas, problems);
    checkComponents("sinks", doc.sinks, sinkSchemas, problems);
  }
  // "config.x" reads oddly for top-level keys: name them as Vector does, without a prefix.
  const named = problems.map((problem) => problem.replace(/^config\./, ""));
  if (named.length > 0) throw new ConfigError(named);
  const config = document as StandinConfig;
  checkTopology(config, named);
  if (named.length > 0) throw new ConfigError(named);
  return config;
}

/** Where the config is: `--config <path>` (or `-c`, `--config=`), else $VECTOR_CONFIG, else the default. */
export function configPathFrom(argv: string[], env: NodeJS.ProcessEnv, defaultPath: string): string {
  let path: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === "--config" || arg === "-c") {
      path = argv[++index];
      if (path === undefined) throw new ConfigError([`${arg}: needs a path`]);
    } else if (arg.startsWith("--config=")) {
      path = arg.slice("--config=".length);
    } else {
      throw new ConfigError([`command line: argument ${JSON.stringify(arg)} not supported by the stand-in`]);
    }
  }
  return path ?? env.VECTOR_CONFIG ?? defaultPath;
}

export function loadConfig(path: string): StandinConfig {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError([`${path}: cannot read the config: ${(error as Error).message}`]);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ConfigError([`${path}: not valid YAML: ${(error as Error).message}`]);
  }
  return validateConfig(document);
}
