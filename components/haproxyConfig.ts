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
import type { BalanceAlgorithm, HealthCheckKind, HealthCheckProfile, LabConfig } from "./settings";
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
  /** How often and how patiently each slot is checked (`healthCheckTimings`). */
  healthCheckProfile: HealthCheckProfile;
  /** Server slots per backend: the most aggregators the balancer can see. */
  maxAggregators: number;
  /** The network alias every aggregator carries. */
  aggregatorPoolHostname: string;
}

/** The balancer's spec from the stack's settings: one place for both targets (container and Swarm). */
export function haproxySpecOf(config: LabConfig, aggregatorPoolHostname: string): HaproxySpec {
  return {
    vectorPort: config.vectorPort,
    remoteWritePort: config.remoteWritePort,
    statsPort: config.statsPort,
    balance: config.balance,
    healthCheck: config.healthCheck,
    healthCheckProfile: config.healthCheckProfile,
    maxAggregators: config.maxAggregators,
    aggregatorPoolHostname,
  };
}

/**
 * One profile's health-check timing (https://docs.haproxy.org/2.6/configuration.html: `inter`,
 * `fastinter`, `downinter`, `fall`, `rise` in 5.2, `timeout check` in 4.2). HAProxy schedules a
 * server's next check this long after the last one ended.
 */
export interface HealthCheckTiming {
  /** `inter`: between checks of a server fully UP; also caps a check's connect time. */
  intervalMs: number;
  /** `fastinter`: between checks while a server changes state (UP after a failure, DOWN after a success). */
  fastIntervalMs: number;
  /** `downinter`: between checks of a server fully DOWN: how soon a returning one is first seen. */
  downIntervalMs: number;
  /** `timeout check`: how long a connected check waits for its answer. */
  timeoutMs: number;
  /** Failed checks in a row that mark a server DOWN. */
  fall: number;
  /** Good checks in a row that mark it UP again. */
  rise: number;
}

/**
 * The profiles (settings.ts `healthCheckProfiles`). A frozen aggregator (`docker pause`: its kernel still
 * accepts the check's connection, nothing answers) is DOWN at most `inter` + `fall` × `timeout check` +
 * (`fall` − 1) × `fastinter` after it froze; before that, a server must fail checks for
 * `fall` × `timeout check` + (`fall` − 1) × `fastinter` in a row, which is what a busy host must not do.
 *
 * `standard` (900 ms; 700 ms of failures) was chosen with the failover benchmark (scripts/bench/failover.ts)
 * on a 2-core host loaded 10–15 times over by other labs: Vector answers `/health` in ~1 ms, but such a
 * host stalls HAProxy or Vector for up to ~0.4 s now and then. With `timeout check` 200 ms (500 ms of
 * failures) a 5-minute loaded run saw 2 false DOWNs; with 300 ms none, and a frozen aggregator was out
 * 0.77–0.87 s after Docker froze it. Checks every 200 ms keep that under 1 s; `downinter` 500 ms sees a
 * returning one within half a second. `fast` (450 ms) keeps 350 ms of slack: for a host with CPU to spare.
 */
export const healthCheckTimings: Record<HealthCheckProfile, HealthCheckTiming> = {
  standard: { intervalMs: 200, fastIntervalMs: 100, downIntervalMs: 500, timeoutMs: 300, fall: 2, rise: 2 },
  fast: { intervalMs: 100, fastIntervalMs: 50, downIntervalMs: 200, timeoutMs: 150, fall: 2, rise: 2 },
};

/** `timeout connect` of every proxy: with `timeout check` set, a check may connect for min(this, `inter`). */
const connectTimeoutMs = 5000;

/**
 * How a failed aggregator meets a check: it refuses or never answers a connection its kernel accepted
 * (stopped process, frozen container), or it is unreachable and the connection attempt hangs (its
 * address gone from the network).
 */
export type CheckFailure = "no-answer" | "unreachable";

/**
 * Longest time HAProxy may take to mark a failed aggregator DOWN: its next check starts within `inter`
 * of the last good one, then `fall` failing checks `fastinter` apart, each lasting at most
 * `timeout check` (plus its connect time, min(`inter`, `timeout connect`), when unreachable). The
 * bound the tests and the failover benchmark hold each profile to; "unreachable" covers every failure.
 */
export function maxDownDetectionMs(
  profile: HealthCheckProfile,
  failure: CheckFailure = "unreachable",
): number {
  const { intervalMs, fastIntervalMs, timeoutMs, fall } = healthCheckTimings[profile];
  const connectMs = failure === "unreachable" ? Math.min(intervalMs, connectTimeoutMs) : 0;
  return intervalMs + fall * (connectMs + timeoutMs) + (fall - 1) * fastIntervalMs;
}

/** Backend names as they appear on the stats page and in `/metrics`. */
export const backendNames = {
  vector: "vector_aggregators",
  remoteWrite: "remote_write_aggregators",
} as const;

/** Server slot prefix: slots are named aggregator1..aggregatorN on the stats page. */
const serverSlotPrefix = "aggregator";

export function renderHaproxyConfig(spec: HaproxySpec): string {
  const { intervalMs, fastIntervalMs, downIntervalMs, timeoutMs, fall, rise } =
    healthCheckTimings[spec.healthCheckProfile];
  const backend = (name: string, aggregatorPort: number): string[] => [
    `backend ${name}`,
    `    balance ${spec.balance}`,
    ...healthCheckLines(spec.healthCheck),
    `    timeout check ${timeoutMs}ms`,
    // A server marked DOWN has its sessions cut, so agents pinned to it reconnect to a live one.
    `    default-server inter ${intervalMs}ms fastinter ${fastIntervalMs}ms downinter ${downIntervalMs}ms` +
      ` fall ${fall} rise ${rise} on-marked-down shutdown-sessions`,
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
    "    # Without it a session's bytes reach the counters only when it ends: agents hold theirs open.",
    "    option contstats",
    `    timeout connect ${connectTimeoutMs}ms`,
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
