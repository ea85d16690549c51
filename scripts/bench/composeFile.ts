/**
 * A docker-compose file (format 2.4, what Debian's docker-compose 1.29 reads) that starts a replica
 * plan: one service per container, named after it, with fixed container, network and volume names so
 * that the objects are the lab's own under other names. Built as an object and serialized by the YAML
 * library; every `$` doubled since compose interpolates `$VAR` in every value.
 * Reference: https://github.com/docker/compose/blob/1.29.2/docs/compose-file-v2.md (the v2 format).
 * Pure.
 */
import { stringify } from "yaml";
import type { ContainerSpec, Healthcheck } from "./containerSpec";
import type { ReplicaPlan } from "./replicaPlan";

/** The key of the plan's network in the file. */
const networkKey = "lab";

/** A service's (and a volume's) key in the file: its name without the plan's prefix. */
export function serviceName(plan: ReplicaPlan, objectName: string): string {
  return objectName.startsWith(`${plan.prefix}-`) ? objectName.slice(plan.prefix.length + 1) : objectName;
}

/** Compose reads `$NAME` and `${NAME}` in every value as its own variables; `$$` is a literal `$`. */
const literal = (text: string): string => text.replace(/\$/g, "$$$$");

const mountText = (source: string, target: string, readOnly: boolean): string =>
  `${source}:${target}${readOnly ? ":ro" : ""}`;

function healthcheckEntry(health: Healthcheck): Record<string, unknown> {
  if (health.test[0] === "NONE") return { disable: true };
  return {
    test: health.test.map(literal),
    ...(health.intervalMs !== undefined ? { interval: `${health.intervalMs}ms` } : {}),
    ...(health.timeoutMs !== undefined ? { timeout: `${health.timeoutMs}ms` } : {}),
    ...(health.startPeriodMs !== undefined ? { start_period: `${health.startPeriodMs}ms` } : {}),
    ...(health.retries !== undefined ? { retries: health.retries } : {}),
  };
}

function serviceEntry(plan: ReplicaPlan, spec: ContainerSpec): Record<string, unknown> {
  const volumeKey = (name: string) => serviceName(plan, name);
  return {
    container_name: spec.name,
    hostname: spec.hostname,
    image: spec.image,
    restart: spec.restart,
    labels: Object.fromEntries(Object.entries(spec.labels).map(([k, v]) => [k, literal(v)])),
    ...(spec.entrypoint ? { entrypoint: spec.entrypoint.map(literal) } : {}),
    ...(spec.command ? { command: spec.command.map(literal) } : {}),
    ...(spec.env.length > 0 ? { environment: spec.env.map(literal) } : {}),
    ...(spec.network
      ? {
          networks: {
            [networkKey]: spec.network.aliases.length > 0 ? { aliases: spec.network.aliases } : null,
          },
        }
      : { network_mode: "none" }),
    ...(spec.ports.length > 0
      ? { ports: spec.ports.map((p) => `${p.hostIp}:${p.hostPort}:${p.containerPort}/${p.protocol}`) }
      : {}),
    volumes: [
      ...spec.volumes.map((v) => mountText(volumeKey(v.source), v.target, v.readOnly)),
      ...spec.binds.map((b) => mountText(b.source, b.target, b.readOnly)),
    ],
    ...(spec.healthcheck ? { healthcheck: healthcheckEntry(spec.healthcheck) } : {}),
    ...(spec.startsAfter.length > 0 ? { depends_on: spec.startsAfter.map((n) => serviceName(plan, n)) } : {}),
  };
}

export function composeYaml(plan: ReplicaPlan): string {
  const document = {
    version: "2.4",
    services: Object.fromEntries(
      plan.containers.map((c) => [serviceName(plan, c.name), serviceEntry(plan, c)]),
    ),
    networks: { [networkKey]: { name: plan.network.name, labels: plan.network.labels } },
    volumes: Object.fromEntries(
      plan.volumes.map((v) => [serviceName(plan, v.name), { name: v.name, labels: v.labels }]),
    ),
  };
  return `# Written by npm run bench (lifecycle) from docker inspect of the lab's containers.\n${stringify(document, { lineWidth: 0 })}`;
}

/**
 * What `docker-compose up` did to which container, from its progress lines (`Recreating NAME ... done`,
 * `NAME is up-to-date`); networks and volumes it created are not containers and are left out.
 */
export function composeActions(output: string): Record<string, string[]> {
  const actions: Record<string, Set<string>> = {};
  const add = (verb: string, name: string) => (actions[verb] ??= new Set()).add(name);
  for (const match of output.matchAll(
    /^(Creating|Recreating|Starting|Stopping|Removing)\s+(\S+)\s+\.\.\./gm,
  )) {
    add(match[1].toLowerCase(), match[2]);
  }
  for (const match of output.matchAll(/^(\S+) is up-to-date/gm)) add("up-to-date", match[1]);
  return Object.fromEntries(Object.entries(actions).map(([verb, names]) => [verb, [...names].sort()]));
}
