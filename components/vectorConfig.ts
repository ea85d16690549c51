/**
 * Builds Vector configurations as typed objects and serializes them with the YAML library. Pure: no
 * resources, no I/O. Option names are Vector 0.57's (https://vector.dev/docs/reference/configuration/);
 * the tests validate every result against test/fixtures/vector-reference/.
 */
import { stringify } from "yaml";
import { aggregatorPorts, demoAppPaths, minimumDiskBufferBytes, vectorPaths } from "./constants";

/** One source or sink: its `type` plus that component's options. */
export interface VectorComponent {
  type: string;
  [option: string]: unknown;
}

/** The parts of a Vector config file this lab writes. */
export interface VectorConfig {
  data_dir?: string;
  api?: { enabled: boolean; address: string };
  sources: Record<string, VectorComponent>;
  sinks: Record<string, VectorComponent>;
}

/**
 * Certificate material in a `tls` block: file paths inside a container, or PEM text inline (Vector
 * accepts an inline PEM string wherever it takes `ca_file`, `crt_file` or `key_file`).
 */
export interface TlsMaterial {
  caFile: string;
  crtFile: string;
  keyFile: string;
}

/** Files every lab container reads its identity from. */
export const containerTlsFiles: TlsMaterial = {
  caFile: vectorPaths.caCert,
  crtFile: vectorPaths.nodeCert,
  keyFile: vectorPaths.nodeKey,
};

/** Names of the components, shared with the tests and the status view. */
export const componentIds = {
  fromAgents: "from_agents",
  remoteWrite: "remote_write",
  internalMetrics: "internal_metrics",
  receivedLogs: "received_logs",
  metricsExporter: "metrics_exporter",
  appLogs: "app_logs",
  demoLogs: "demo_logs",
  hostMetrics: "host_metrics",
  toBalancer: "to_balancer",
  metricsToBalancer: "metrics_to_balancer",
} as const;

export interface AggregatorVectorSpec {
  /** The aggregator's container name: names its file of received events. */
  nodeName: string;
  /** Connections older than this are closed so agents reconnect through the balancer and spread. */
  maxConnectionAgeSecs: number;
}

/** A server-side `tls` block that requires and verifies the client's certificate (mutual TLS). */
function serverTls(material: TlsMaterial): Record<string, unknown> {
  return {
    enabled: true,
    ca_file: material.caFile,
    crt_file: material.crtFile,
    key_file: material.keyFile,
    verify_certificate: true,
  };
}

/**
 * A client-side `tls` block that verifies the aggregator's certificate and the name dialled. The
 * `prometheus_remote_write` sink has no `tls.enabled`: its `https://` endpoint turns TLS on.
 */
export function clientTls(
  material: TlsMaterial,
  sink: "vector" | "prometheus_remote_write",
): Record<string, unknown> {
  const tls: Record<string, unknown> = { ...serverTls(material), verify_hostname: true };
  if (sink === "prometheus_remote_write") delete tls.enabled;
  return tls;
}

/** The received-events file of one aggregator: its own name in the path, so a person sees who got what. */
export function receivedLogsPath(nodeName: string): string {
  return `${vectorPaths.receivedLogsDir}/${nodeName}.log`;
}

export function aggregatorVectorConfig(spec: AggregatorVectorSpec): VectorConfig {
  const tls = serverTls(containerTlsFiles);
  return {
    data_dir: vectorPaths.dataDir,
    // The API's default address is loopback only; HAProxy and Docker probe /health from outside.
    api: { enabled: true, address: `0.0.0.0:${aggregatorPorts.api}` },
    sources: {
      [componentIds.fromAgents]: {
        type: "vector",
        address: `0.0.0.0:${aggregatorPorts.vector}`,
        version: "2",
        // Agents keep one HTTP/2 connection forever otherwise, so a scaled-out aggregator gets nothing.
        keepalive: { max_connection_age_secs: spec.maxConnectionAgeSecs },
        tls,
      },
      [componentIds.remoteWrite]: {
        type: "prometheus_remote_write",
        address: `0.0.0.0:${aggregatorPorts.remoteWrite}`,
        keepalive: { max_connection_age_secs: spec.maxConnectionAgeSecs },
        tls,
      },
      [componentIds.internalMetrics]: { type: "internal_metrics" },
    },
    sinks: {
      [componentIds.receivedLogs]: {
        type: "file",
        inputs: [componentIds.fromAgents],
        path: receivedLogsPath(spec.nodeName),
        encoding: { codec: "json" },
        // The agent's request is answered only once this file holds its events: an aggregator stopped,
        // killed or removed mid-batch has acknowledged nothing it had not written, so the agent sends
        // it again elsewhere (a duplicate at worst, never a loss).
        acknowledgements: { enabled: true },
      },
      [componentIds.metricsExporter]: {
        type: "prometheus_exporter",
        inputs: [componentIds.remoteWrite, componentIds.internalMetrics],
        address: `0.0.0.0:${aggregatorPorts.metricsExporter}`,
      },
    },
  };
}

export interface AgentVectorSpec {
  /** Host name the agent dials: the balancer's, which every aggregator certificate names. */
  balancerHost: string;
  /**
   * Several balancers (the swarm target): the host names of each, all listed in the `vector` sink's
   * `routing.endpoints`, so losing one loses nothing. Metrics still go to `balancerHost`, which then
   * resolves to every balancer (the remote-write sink takes one endpoint).
   */
  balancerHosts?: string[];
  vectorPort: number;
  remoteWritePort: number;
  tls: TlsMaterial;
}

/** The line every demo event carries after its sequence number: `<seq> <agentName> demo event ...`. */
export function demoLogLine(agentName: string): string {
  return `${agentName} demo event from vector-ha-lab`;
}

/**
 * A `demo_logs` source of numbered demo events (`<seq> <agentName> demo event ...`), one every
 * `intervalSecs` (0: as fast as the pipeline takes them), endlessly or `count` of them.
 */
export function demoEventsSource(agentName: string, intervalSecs: number, count?: number): VectorComponent {
  return {
    type: "demo_logs",
    format: "shuffle",
    lines: [demoLogLine(agentName)],
    sequence: true,
    interval: intervalSecs,
    ...(count === undefined ? {} : { count }),
  };
}

/**
 * Retries back off from 1 s up to 5 s instead of Vector's 30 s, so an agent delivers again within
 * seconds of an aggregator's return or a failover, not half a minute later.
 */
const retryAtLeastEvery5s = { retry_max_duration_secs: 5 };

/**
 * With several balancers on several hosts (the swarm target), a request in flight to a balancer whose
 * host lost power gets no answer and no reset: it waits out `timeout_secs`, 60 s by default, before it
 * is retried elsewhere (seen on the local cluster: the events came 61 s late; an agent stopped in that
 * minute lost them). 10 s is still hundreds of times what a request takes here.
 */
function requestSettings(spec: AgentVectorSpec): Record<string, number> {
  return (spec.balancerHosts?.length ?? 1) > 1
    ? { ...retryAtLeastEvery5s, timeout_secs: 10 }
    : retryAtLeastEvery5s;
}

/** The two sinks every agent has: logs over Vector's protocol and metrics over remote write, both to the balancer. */
function sinksToBalancer(
  spec: AgentVectorSpec,
  logInput: string,
  delivery: { buffer: Record<string, unknown>; acknowledgeLogs: boolean },
): Record<string, VectorComponent> {
  return {
    [componentIds.toBalancer]: {
      type: "vector",
      inputs: [logInput],
      routing: logRouting(spec),
      tls: clientTls(spec.tls, "vector"),
      buffer: delivery.buffer,
      // The file source checkpoints a line once it is in this sink's disk buffer (durable), and the
      // buffer lets go of it only once an aggregator has acknowledged it: nothing lost in between.
      acknowledgements: { enabled: delivery.acknowledgeLogs },
      request: requestSettings(spec),
    },
    [componentIds.metricsToBalancer]: {
      type: "prometheus_remote_write",
      inputs: [componentIds.hostMetrics, componentIds.internalMetrics],
      endpoint: `https://${spec.balancerHost}:${spec.remoteWritePort}/`,
      tls: clientTls(spec.tls, "prometheus_remote_write"),
      buffer: delivery.buffer,
      // Metric sources cannot acknowledge (Vector warns of "silent data loss" if asked to): samples are
      // buffered and retried, not acknowledged end to end; the next scrape supersedes a lost one.
      acknowledgements: { enabled: false },
      // Its health check is a GET, which the aggregator's remote-write source answers 405.
      healthcheck: { enabled: false },
      request: requestSettings(spec),
    },
  };
}

/**
 * The `vector` sink's `routing` (0.57 deprecates `address`). One balancer: one endpoint, and the
 * balancer does the balancing. Several: every one listed, balanced by Vector, and one that fails is
 * tried again after 1 s, backing off to 5 s instead of the default hour, so a balancer back on its
 * node (or moved to another) carries traffic again within seconds.
 */
function logRouting(spec: AgentVectorSpec): Record<string, unknown> {
  const hosts = spec.balancerHosts ?? [spec.balancerHost];
  const endpoints = hosts.map((host) => `${host}:${spec.vectorPort}`);
  return hosts.length === 1
    ? { endpoints }
    : {
        endpoints,
        strategy: "load_balance",
        health: { retry_initial_backoff_secs: 1, retry_max_duration_secs: 5 },
      };
}

const metricSources: Record<string, VectorComponent> = {
  [componentIds.hostMetrics]: { type: "host_metrics", scrape_interval_secs: 15 },
  [componentIds.internalMetrics]: { type: "internal_metrics" },
};

/**
 * A lab agent: ships the log file its demo app writes (components/demoApp.ts) with end-to-end
 * acknowledgements through a disk buffer, so no line is lost while aggregators are down or the agent
 * restarts, and its host's metrics.
 */
export function agentVectorConfig(spec: AgentVectorSpec): VectorConfig {
  return {
    data_dir: vectorPaths.dataDir,
    sources: {
      // Vector's `file` source supports acknowledgements: its checkpoint (in data_dir) moves past a
      // line only once the sink has taken it (see sinksToBalancer).
      [componentIds.appLogs]: { type: "file", include: [demoAppPaths.logFile], read_from: "beginning" },
      ...metricSources,
    },
    sinks: sinksToBalancer(spec, componentIds.appLogs, {
      buffer: { type: "disk", max_size: minimumDiskBufferBytes, when_full: "block" },
      acknowledgeLogs: true,
    }),
  };
}

export interface HostAgentVectorSpec extends AgentVectorSpec {
  /** Written into every event, so a person can tell the host agent's events from the others. */
  agentName: string;
  /** Seconds between demo events. */
  eventIntervalSecs: number;
}

/**
 * An agent a person runs by hand on the host to try the published ports: Vector's own `demo_logs`
 * (which cannot acknowledge) and memory buffers, so it keeps no state. Its `data_dir` is the folder
 * it is started in: Vector requires an existing one, though nothing here writes to it.
 */
export function hostAgentVectorConfig(spec: HostAgentVectorSpec): VectorConfig {
  return {
    data_dir: ".",
    sources: {
      [componentIds.demoLogs]: demoEventsSource(spec.agentName, spec.eventIntervalSecs),
      ...metricSources,
    },
    sinks: sinksToBalancer(spec, componentIds.demoLogs, {
      buffer: { type: "memory", max_size: 64 * 1024 * 1024, when_full: "block" },
      acknowledgeLogs: false,
    }),
  };
}

/**
 * OpenSSL settings for an aggregator's Vector, read through `OPENSSL_CONF`: no TLS session tickets.
 * Vector 0.57's TLS sources require client certificates but set no session id context
 * (vectordotdev/vector lib/vector-core/src/tls/settings.rs), so OpenSSL answers every resumed session
 * with alert 80 (internal error) and agents log a WARN and retry on each reconnect, which connection
 * recycling makes frequent. Without tickets, agents have nothing to resume: every reconnect is a full
 * handshake, silent, with client certificates still required. (Resumption could never have worked
 * here: the sessions are not resumable, and HAProxy may send a reconnect to another aggregator.)
 * https://docs.openssl.org/3.0/man5/config/ ("SSL Configuration Module", Options)
 */
export const vectorOpensslConfig = [
  "openssl_conf = openssl_init",
  "[openssl_init]",
  "ssl_conf = ssl_module",
  "[ssl_module]",
  "system_default = vector_tls",
  "[vector_tls]",
  "Options = -SessionTicket",
  "",
].join("\n");

/** Serializes a config to the YAML Vector reads. */
export function renderVectorYaml(config: VectorConfig): string {
  // No YAML anchors: each component's block reads on its own.
  return stringify(config, { lineWidth: 0, aliasDuplicateObjects: false });
}
