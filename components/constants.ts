/**
 * Values that the program, its renderers, its tests and the stand-ins all share. Defined once here so
 * nothing drifts: a stand-in or a test imports these instead of repeating them.
 */

/** The Pulumi project name; also the first part of every Docker object name. */
export const projectName = "vector-ha-lab";

/** The Vector release the lab pins: its official image's tag, its reference data, the bundle's Vector. */
export const vectorVersion = "0.57.0";

/** Docker label keys carried by every object the lab creates, so a stack's objects can be found. */
export const labelKeys = {
  project: `${projectName}.project`,
  stack: `${projectName}.stack`,
  role: `${projectName}.role`,
} as const;

/** Ports inside the aggregator containers (docs/design.md, "Ports"). */
export const aggregatorPorts = {
  /** Vector's own protocol (gRPC over HTTP/2), the `vector` source. */
  vector: 19092,
  /** Prometheus remote write over HTTPS, the `prometheus_remote_write` source. */
  remoteWrite: 19090,
  /** Vector's API; `GET /health` is what HAProxy and Docker probe. */
  api: 8686,
  /** `prometheus_exporter` sink: what the aggregator received and its own internal metrics. */
  metricsExporter: 9598,
} as const;

/** Where files live inside the Vector containers (official image layout: /etc/vector/vector.yaml). */
export const vectorPaths = {
  config: "/etc/vector/vector.yaml",
  caCert: "/etc/vector/tls/ca.pem",
  nodeCert: "/etc/vector/tls/node.crt",
  nodeKey: "/etc/vector/tls/node.key",
  /** OpenSSL settings for the Vector process (OPENSSL_CONF): see `vectorOpensslConfig`. */
  opensslConfig: "/etc/vector/openssl.cnf",
  /** Vector's `data_dir`: a Docker volume, so disk buffers survive a container restart. */
  dataDir: "/var/lib/vector",
  /** What an aggregator received from agents, one JSON event per line. */
  receivedLogsDir: "/var/lib/vector/received",
} as const;

/**
 * The demo app beside each agent writes its log here, on a volume the agent reads (read-only): an
 * application's log file, which Vector's `file` source tails with end-to-end acknowledgements.
 */
export const demoAppPaths = {
  logDir: "/var/log/demo-app",
  logFile: "/var/log/demo-app/app.log",
} as const;

/** Where the official haproxy image reads its configuration. */
export const haproxyConfigPath = "/usr/local/etc/haproxy/haproxy.cfg";

/** Docker's embedded DNS server, reachable from every container on a user-defined network. */
export const dockerDnsAddress = "127.0.0.11:53";

/** Disk buffers must be at least about 256 MB in Vector (test/fixtures/vector-reference/FACTS.md, "Every sink"). */
export const minimumDiskBufferBytes = 268435488;
