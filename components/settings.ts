/**
 * The lab's settings: declared in Pulumi.yaml, validated here into one typed object, `LabConfig`. Pure
 * (no Pulumi SDK): the program's reader (config.ts), the lab command and the tests all use this one
 * parser. Everything else takes a `LabConfig` and never reads config itself.
 */
import { vectorVersion } from "./constants";

/** HAProxy balance algorithms the lab offers (https://docs.haproxy.org/2.6/configuration.html#4-balance). */
export const balanceAlgorithms = ["roundrobin", "leastconn", "source"] as const;
export type BalanceAlgorithm = (typeof balanceAlgorithms)[number];

/**
 * How HAProxy decides an aggregator is alive: `http` asks Vector's API `GET /health` (Vector really
 * runs); `ssl-hello` is HAProxy's `option ssl-hello-chk` (the TLS port answers; docs/design.md).
 */
export const healthCheckKinds = ["http", "ssl-hello"] as const;
export type HealthCheckKind = (typeof healthCheckKinds)[number];

/**
 * How soon HAProxy's checks take a failed aggregator out of rotation: each profile sets `inter`,
 * `fastinter`, `downinter`, `timeout check`, `fall` and `rise` (haproxyConfig.ts `healthCheckTimings`
 * holds the numbers and why). `standard` has a frozen aggregator out within 1 s; `fast` within half that,
 * with less slack for a loaded host (docs/design.md, Health checks).
 */
export const healthCheckProfiles = ["standard", "fast"] as const;
export type HealthCheckProfile = (typeof healthCheckProfiles)[number];

/**
 * Where the lab runs: `docker`, containers on one Docker engine (the local one); `swarm`, services on a
 * Docker Swarm whose manager `dockerHost` names (docs/swarm.md).
 */
export const targets = ["docker", "swarm"] as const;
export type Target = (typeof targets)[number];

/** Key algorithms for the CA and every certificate: ECDSA P-256 or RSA 2048. */
export const keyAlgorithms = ["ECDSA", "RSA"] as const;
export type KeyAlgorithm = (typeof keyAlgorithms)[number];

export interface LabConfig {
  /** Where the lab runs: one Docker engine, or a Swarm. */
  target: Target;
  /** The Swarm manager's Docker endpoint (swarm only); undefined: the local engine (DOCKER_HOST). */
  dockerHost: string | undefined;
  /** HAProxy replicas, each on its own node (swarm only; the docker target runs one). */
  balancerCount: number;
  /** Aggregator containers behind the balancer. */
  aggregatorCount: number;
  /** HAProxy `server-template` slots: the most aggregators the balancer can ever see. */
  maxAggregators: number;
  /** Agent containers shipping logs and metrics. */
  agentCount: number;
  /** Balancer port for Vector's protocol, inside the network and on the host. */
  vectorPort: number;
  /** Balancer port for Prometheus remote write, inside the network and on the host. */
  remoteWritePort: number;
  /** HAProxy stats page (`/stats`) and Prometheus metrics (`/metrics`). */
  statsPort: number;
  /** HAProxy balance algorithm. */
  balance: BalanceAlgorithm;
  /** How HAProxy checks an aggregator. */
  healthCheck: HealthCheckKind;
  /** How often and how patiently it checks: how soon a failed aggregator leaves rotation. */
  healthCheckProfile: HealthCheckProfile;
  /** Key algorithm of the CA and every certificate. */
  keyAlgorithm: KeyAlgorithm;
  /** Validity of the CA and every certificate, in hours. */
  certValidityHours: number;
  /** Certificates are renewed on `up` this close to expiry, in hours. */
  certEarlyRenewalHours: number;
  /** Generation of the CA that signs every certificate; `rotate-ca` raises it. */
  caGeneration: number;
  /** A second CA generation every container also trusts while a rotation rolls; 0 when none. */
  caAlsoTrusted: number;
  /** Host address the balancer's ports are published on. */
  hostBindAddress: string;
  /** Vector `keepalive.max_connection_age_secs` on the aggregator's `vector` source. */
  maxConnectionAgeSecs: number;
  /** HAProxy image reference. */
  haproxyImage: string;
  /** Vector image reference. */
  vectorImage: string;
  /** Use images already in the local engine and never pull (machines without a registry). */
  useLocalImages: boolean;
}

/**
 * Every setting with its default. Pulumi.yaml declares the same defaults for the CLI (a test keeps the
 * two equal); these apply when the program runs without them (mocks, Automation API).
 */
export const settingDefaults = {
  aggregators: 2,
  maxAggregators: 16,
  agents: 2,
  vectorPort: 19093,
  remoteWritePort: 19094,
  statsPort: 8404,
  balance: "roundrobin",
  healthCheck: "http",
  healthCheckProfile: "standard",
  keyAlgorithm: "ECDSA",
  certValidityHours: 8760,
  certEarlyRenewalHours: 720,
  caGeneration: 1,
  caAlsoTrusted: 0,
  hostBindAddress: "127.0.0.1",
  maxConnectionAgeSecs: 60,
  // HAProxy 3.4 is the current LTS branch of the official image; Vector 0.57.0 is its newest release.
  haproxyImage: "haproxy:3.4",
  vectorImage: `timberio/vector:${vectorVersion}-debian`,
  useLocalImages: false,
  target: "docker",
  dockerHost: "",
  balancers: 2,
} as const;

export type SettingName = keyof typeof settingDefaults;
export const settingNames = Object.keys(settingDefaults) as SettingName[];

/** Upper bounds that keep a one-host lab within reason (2 cores is a normal lab machine). */
const limits = {
  maxAggregators: 64,
  agents: 64,
  certValidityHours: 10 * 8760,
  maxConnectionAgeSecs: 86400,
  caGeneration: 9999,
  balancers: 9,
};

/** Docker endpoints the docker provider and CLI take: a unix socket path, tcp://host:port or ssh://[user@]host. */
const dockerHostPattern =
  /^(unix:\/\/\/\S+|tcp:\/\/[A-Za-z0-9.-]+:\d{1,5}|ssh:\/\/([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(:\d{1,5})?)$/;

/** Thrown with every problem found, one line each, so a user fixes them all in one go. */
export class LabConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "LabConfigError";
  }
}

export type RawSettings = Partial<Record<SettingName, string>>;

/**
 * Validates raw config strings (as `pulumi config` stores them) into a `LabConfig`.
 * Missing settings take their defaults; a key that is no setting (a typo) is a problem too.
 * Throws `LabConfigError` listing every problem.
 */
export function parseLabConfig(raw: RawSettings & Readonly<Record<string, string | undefined>>): LabConfig {
  const problems: string[] = unknownSettingProblems(raw);
  const text = (name: SettingName): string => (raw[name] ?? String(settingDefaults[name])).trim();
  const describe = (name: SettingName): string => `${name}: ${describeValue(raw, name)}`;

  const wholeNumber = (name: SettingName, min: number, max: number, allowed?: string): number => {
    const value = text(name);
    const parsed = /^-?\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      problems.push(`${describe(name)}; allowed: ${allowed ?? `a whole number from ${min} to ${max}`}`);
      return NaN;
    }
    return parsed;
  };
  const oneOf = <T extends string>(name: SettingName, allowed: readonly T[]): T => {
    const value = text(name);
    if (!(allowed as readonly string[]).includes(value)) {
      problems.push(`${describe(name)}; allowed: one of ${allowed.join(", ")}`);
    }
    return value as T;
  };
  const imageName = (name: SettingName): string => {
    const value = text(name);
    if (!/^[a-z0-9][a-z0-9._\-/:@]*$/.test(value)) {
      problems.push(`${describe(name)}; allowed: a Docker image reference such as ${settingDefaults[name]}`);
    }
    return value;
  };

  const maxAggregators = wholeNumber("maxAggregators", 1, limits.maxAggregators);
  const aggregatorCount = wholeNumber(
    "aggregators",
    1,
    Number.isNaN(maxAggregators) ? limits.maxAggregators : maxAggregators,
    Number.isNaN(maxAggregators)
      ? undefined
      : `a whole number from 1 to maxAggregators (${maxAggregators}), the balancer's server slots`,
  );
  const agentCount = wholeNumber("agents", 1, limits.agents);

  const ports = portSettings.map((name) => wholeNumber(name, 1, 65535, "a port number from 1 to 65535"));
  portSettings.forEach((name, i) => {
    const first = ports.indexOf(ports[i]);
    if (Number.isNaN(ports[i]) || first === i) return;
    // Named on the one the user set, when the other is a default: that is the one to change.
    const [reported, other] =
      raw[name] === undefined ? [portSettings[first], name] : [name, portSettings[first]];
    problems.push(
      `${describe(reported)}; allowed: a port not used by another setting (${other} is ${ports[i]}` +
        `${raw[other] === undefined ? ", its default" : ""})`,
    );
  });

  const certValidityHours = wholeNumber("certValidityHours", 1, limits.certValidityHours);
  // Equal to the validity, every `up` is inside the renewal window: a way to rehearse renewal.
  const certEarlyRenewalHours = wholeNumber(
    "certEarlyRenewalHours",
    0,
    Number.isNaN(certValidityHours) ? limits.certValidityHours : certValidityHours,
    Number.isNaN(certValidityHours)
      ? undefined
      : `a whole number from 0 to certValidityHours (${certValidityHours})`,
  );

  const caGeneration = wholeNumber("caGeneration", 1, limits.caGeneration);
  const caAlsoTrusted = wholeNumber("caAlsoTrusted", 0, limits.caGeneration);
  if (caAlsoTrusted !== 0 && caAlsoTrusted === caGeneration) {
    problems.push(
      `${describe("caAlsoTrusted")}; allowed: 0 (no second CA) or a generation other than caGeneration (${caGeneration})`,
    );
  }

  const hostBindAddress = text("hostBindAddress");
  if (!isIPv4(hostBindAddress)) {
    problems.push(
      `${describe("hostBindAddress")}; allowed: an IPv4 address of this host (127.0.0.1, or 0.0.0.0 for all)`,
    );
  }

  const useLocalImagesText = text("useLocalImages");
  if (useLocalImagesText !== "true" && useLocalImagesText !== "false") {
    problems.push(`${describe("useLocalImages")}; allowed: true or false`);
  }

  const target = oneOf("target", targets);
  const dockerHost = text("dockerHost");
  if (dockerHost !== "" && !dockerHostPattern.test(dockerHost)) {
    problems.push(
      `${describe("dockerHost")}; allowed: empty (the local engine), unix:///path/to/docker.sock, tcp://host:port or ssh://user@host`,
    );
  } else if (dockerHost !== "" && target === "docker") {
    problems.push(
      `${describe("dockerHost")}; allowed: empty with target docker (it runs on the local engine, DOCKER_HOST); a Swarm manager with target swarm`,
    );
  }
  const balancerCount = wholeNumber("balancers", 1, limits.balancers);
  // Compared with the default, not with "set": plain `pulumi up` passes Pulumi.yaml's defaults as values.
  if (target === "docker" && balancerCount !== 1 && balancerCount !== settingDefaults.balancers) {
    problems.push(
      `${describe("balancers")}; allowed: 1 or its default with target docker (one HAProxy); 1 to ${limits.balancers} with target swarm`,
    );
  }
  // On a Swarm the balancers' ports are published on every node that runs one, on all its addresses.
  if (target === "swarm" && text("hostBindAddress") !== settingDefaults.hostBindAddress) {
    problems.push(
      `${describe("hostBindAddress")}; allowed: its default with target swarm (each balancer's node publishes the ports on all its addresses)`,
    );
  }

  const config: LabConfig = {
    target,
    dockerHost: dockerHost === "" ? undefined : dockerHost,
    balancerCount,
    aggregatorCount,
    maxAggregators,
    agentCount,
    vectorPort: ports[0],
    remoteWritePort: ports[1],
    statsPort: ports[2],
    balance: oneOf("balance", balanceAlgorithms),
    healthCheck: oneOf("healthCheck", healthCheckKinds),
    healthCheckProfile: oneOf("healthCheckProfile", healthCheckProfiles),
    keyAlgorithm: oneOf("keyAlgorithm", keyAlgorithms),
    certValidityHours,
    certEarlyRenewalHours,
    caGeneration,
    caAlsoTrusted,
    hostBindAddress,
    maxConnectionAgeSecs: wholeNumber("maxConnectionAgeSecs", 1, limits.maxConnectionAgeSecs),
    haproxyImage: imageName("haproxyImage"),
    vectorImage: imageName("vectorImage"),
    useLocalImages: useLocalImagesText === "true",
  };
  if (problems.length > 0) throw new LabConfigError(problems);
  return config;
}

/** The three ports the balancer publishes on the host. */
export const portSettings = [
  "vectorPort",
  "remoteWritePort",
  "statsPort",
] as const satisfies readonly SettingName[];

/** `got "5"`, or for a setting left unset, its default and that it is one. */
export function describeValue(raw: Readonly<Record<string, string | undefined>>, name: SettingName): string {
  return raw[name] === undefined
    ? `${JSON.stringify(String(settingDefaults[name]))} (its default)`
    : `got ${JSON.stringify(raw[name])}`;
}

/** A problem for each key that is no setting, with the setting it most likely meant. */
function unknownSettingProblems(raw: Readonly<Record<string, string | undefined>>): string[] {
  return Object.keys(raw)
    .filter((key) => !(settingNames as string[]).includes(key))
    .map((key) => {
      const guess = closestSettingName(key);
      return (
        `${key}: got ${JSON.stringify(raw[key])}, but the lab has no setting of that name` +
        `${guess ? `; did you mean ${guess}?` : ";"} allowed: ${settingNames.join(", ")}`
      );
    });
}

/** The setting name within a few edits of `key` (case ignored), if one is clearly closest. */
export function closestSettingName(key: string): SettingName | undefined {
  const scored = settingNames
    .map((name) => ({ name, distance: editDistance(key.toLowerCase(), name.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance);
  const limit = Math.max(2, Math.floor(key.length / 3));
  return scored[0].distance <= limit && scored[0].distance < (scored[1]?.distance ?? Infinity)
    ? scored[0].name
    : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

function isIPv4(value: string): boolean {
  const parts = value.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}
