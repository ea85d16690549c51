/**
 * Renders haproxy.cfg from a typed spec. Pure: no resources, no I/O. HAProxy's format has no
 * serializer, so this stays small and line-oriented; the tests run every variant through `haproxy -c`.
 *
 * TCP mode, TLS passthrough (HAProxy holds no key). Backends are found through Docker's embedded DNS
 * with a `server-template` over the aggregators' shared alias, so the file does not depend on the
 * aggregator count and scaling never restarts HAProxy.
 * Reference: https://docs.haproxy.org/2.6/configuration.html (resolvers: 5.3, server-template: 4.2).
 */
import { assertNever } from "./assertNever";
import type { BalanceAlgorithm, HealthCheckKind } from "./settings";
import { aggregatorPorts, dockerDnsAddress } from "./constants";

export interface HaproxySpec {
  /** Frontend port for Vector's protocol; goes to the aggregators' `vector` source. */
  vectorPort: number;
  /** Frontend port for Prometheus remote write; goes to the aggregators' `prometheus_remote_write` source. */
  remoteWritePort: number;
  /** Stats page (`/stats`) and Prometheus exporter (`/metrics`). */
  statsPort: number;
  /** HAProxy `balance` algorithm of both backends. */
  balance: BalanceAlgorithm;
  /** How each server slot is checked: Vector's `/health`, or a TLS hello on the data port. */
  healthCheck: HealthCheckKind;
  /** Server slots per backend: the most aggregators the balancer can see. */
  maxAggregators: number;
  /** The network alias every aggregator carries. */
  aggregatorPoolHostname: string;
}

/**
 * Health-check timing. A dead aggregator leaves rotation after `fall` failed checks `interval` apart
 * (each allowed `timeout`); a returning one needs `rise` good checks.
 */
export const healthCheckTiming = { intervalMs: 1000, timeoutMs: 1000, fall: 2, rise: 2 } as const;

/** Longest time HAProxy may take to mark a dead aggregator DOWN: `fall` checks, each waiting at most its timeout. */
export function maxDownDetectionMs(): number {
  const { intervalMs, timeoutMs, fall } = healthCheckTiming;
  return fall * (intervalMs + timeoutMs);
}

/** Backend names as they appear on the stats page and in `/metrics`. */
export const backendNames = {
  vector: "vector_aggregators",
  remoteWrite: "remote_write_aggregators",
} as const;

/** Server slot prefix: slots are named aggregator1..aggregatorN on the stats page. */
const serverSlotPrefix = "aggregator";

export function renderHaproxyConfig(spec: HaproxySpec): string {
  const { intervalMs, timeoutMs, fall, rise } = healthCheckTiming;
  const backend = (name: string, aggregatorPort: number): string[] => [
    `backend ${name}`,
    `    balance ${spec.balance}`,
    ...healthCheckLines(spec.healthCheck),
    `    timeout check ${timeoutMs}ms`,
    // A server marked DOWN has its sessions cut, so agents pinned to it reconnect to a live one.
    `    default-server inter ${intervalMs}ms fall ${fall} rise ${rise} on-marked-down shutdown-sessions`,
    `    server-template ${serverSlotPrefix} 1-${spec.maxAggregators} ${spec.aggregatorPoolHostname}:${aggregatorPort}` +
      ` ${healthCheckServerOptions(spec.healthCheck)} resolvers docker resolve-prefer ipv4 init-addr none`,
    "",
  ];

  return [
    "# Rendered by vector-ha-lab (components/haproxyConfig.ts); changes here are overwritten on `up`.",
    "global",
    "    log stdout format raw local0 info",
    "    maxconn 4096",
    "    # Agents hold connections open: without this, stopping the container waits out Docker's 10 s.",
    "    hard-stop-after 3s",
    "",
    "# Docker's embedded DNS: aggregators added or removed by scaling appear here within seconds.",
    "resolvers docker",
    `    nameserver dockerdns ${dockerDnsAddress}`,
    "    resolve_retries 3",
    "    timeout resolve 1s",
    "    timeout retry 1s",
    "    hold valid 2s",
    "    hold other 2s",
    "    hold refused 2s",
    "    hold nx 2s",
    "    hold timeout 2s",
    "    hold obsolete 2s",
    "    accepted_payload_size 8192",
    "",
    "defaults",
    "    mode tcp",
    "    log global",
    "    option tcplog",
    "    option dontlognull",
    "    timeout connect 5s",
    "    # Agents hold their connections for a long time (HTTP/2, remote-write keep-alive).",
    "    timeout client 1h",
    "    timeout server 1h",
    "",
    "frontend stats",
    "    mode http",
    `    bind :${spec.statsPort}`,
    "    timeout client 30s",
    "    http-request use-service prometheus-exporter if { path /metrics }",
    "    stats enable",
    "    stats uri /stats",
    "    stats refresh 5s",
    "    stats show-legends",
    "",
    "frontend vector",
    `    bind :${spec.vectorPort}`,
    `    default_backend ${backendNames.vector}`,
    "",
    "frontend remote_write",
    `    bind :${spec.remoteWritePort}`,
    `    default_backend ${backendNames.remoteWrite}`,
    "",
    ...backend(backendNames.vector, aggregatorPorts.vector),
    ...backend(backendNames.remoteWrite, aggregatorPorts.remoteWrite),
  ].join("\n");
}

/** Backend lines for the health check: plain HTTP to Vector's API, or a TLS hello to the data port. */
function healthCheckLines(kind: HealthCheckKind): string[] {
  switch (kind) {
    case "http":
      return [
        "    option httpchk",
        "    http-check send meth GET uri /health",
        "    http-check expect status 200",
      ];
    case "ssl-hello":
      return ["    option ssl-hello-chk"];
    default:
      return assertNever(kind);
  }
}

/** The HTTP check goes to the API port, not the TLS data port the traffic uses. */
function healthCheckServerOptions(kind: HealthCheckKind): string {
  switch (kind) {
    case "http":
      return `check port ${aggregatorPorts.api}`;
    case "ssl-hello":
      return "check";
    default:
      return assertNever(kind);
  }
}
