/**
 * Builds Vector configurations as typed objects and serializes them with the YAML library. Pure: no
 * resources, no I/O. Option names are Vector 0.57's (https://vector.dev/docs/reference/configuration/);
 * the tests validate every result against test/fixtures/vector-reference/.
 */
import { stringify } from "yaml";
import { aggregatorPorts, minimumDiskBufferBytes, vectorPaths } from "./constants";

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
function clientTls(
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
  /** Written into every event, so a person and a test can tell which agent sent it. */
  agentName: string;
  /** Host name the agent dials: the balancer's, which every aggregator certificate names. */
  balancerHost: string;
  vectorPort: number;
  remoteWritePort: number;
  tls: TlsMaterial;
  /**
   * `disk` (needs `data_dir`, survives restarts) for the lab's agents; `memory` for an agent run
   * by hand on the host, which has no data directory prepared for it.
   */
  buffer: "disk" | "memory";
  /** Seconds between demo events. */
  eventIntervalSecs: number;
}

/** The sequence-numbered line every demo event carries: `<seq> <agentName> ...`. */
export function demoLogLine(agentName: string): string {
  return `${agentName} demo event from vector-ha-lab`;
}

export function agentVectorConfig(spec: AgentVectorSpec): VectorConfig {
  const buffer =
    spec.buffer === "disk"
      ? { type: "disk", max_size: minimumDiskBufferBytes, when_full: "block" }
      : { type: "memory", max_size: 64 * 1024 * 1024, when_full: "block" };
  // End-to-end acknowledgements: an event leaves the buffer only once an aggregator has it.
  const acknowledgements = { enabled: true };
  return {
    ...(spec.buffer === "disk" ? { data_dir: vectorPaths.dataDir } : {}),
    sources: {
      // `shuffle` with `sequence: true` prefixes each line with an increasing number: gaps show loss.
      [componentIds.demoLogs]: {
        type: "demo_logs",
        format: "shuffle",
        lines: [demoLogLine(spec.agentName)],
        sequence: true,
        interval: spec.eventIntervalSecs,
      },
      [componentIds.hostMetrics]: { type: "host_metrics", scrape_interval_secs: 15 },
      [componentIds.internalMetrics]: { type: "internal_metrics" },
    },
    sinks: {
      [componentIds.toBalancer]: {
        type: "vector",
        inputs: [componentIds.demoLogs],
        // 0.57 deprecates `address`; one endpoint: the balancer does the balancing.
        routing: { endpoints: [`${spec.balancerHost}:${spec.vectorPort}`] },
        tls: clientTls(spec.tls, "vector"),
        buffer,
        acknowledgements,
      },
      [componentIds.metricsToBalancer]: {
        type: "prometheus_remote_write",
        inputs: [componentIds.hostMetrics, componentIds.internalMetrics],
        endpoint: `https://${spec.balancerHost}:${spec.remoteWritePort}/`,
        tls: clientTls(spec.tls, "prometheus_remote_write"),
        buffer,
        acknowledgements,
      },
    },
  };
}

/** Serializes a config to the YAML Vector reads. */
export function renderVectorYaml(config: VectorConfig): string {
  // No YAML anchors: each component's block reads on its own.
  return stringify(config, { lineWidth: 0, aliasDuplicateObjects: false });
}
