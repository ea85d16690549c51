/**
 * The lab's containers, as inspected, renamed for another tool (`vhl-compose-…`, `vhl-script-…`) with the
 * lab's uploaded files mounted from the copies taken out of it. Network aliases keep the lab's names:
 * HAProxy's `server-template` resolves the aggregators' alias, agents dial the balancer's, and every
 * certificate names them. Pure.
 */
import * as path from "path";
import { haproxyConfigPath, labelKeys, vectorPaths } from "../../components/constants";
import type { ContainerSpec, Mount } from "./containerSpec";

/** The order containers start in, as the lab starts them: aggregators, the balancer, then the agents' side. */
const startOrder = ["aggregator", "haproxy", "demo-app", "agent"] as const;
type ReplicaRole = (typeof startOrder)[number];

export interface ReplicaPlan {
  /** The start of every name: `vhl-compose-1a2b`. */
  prefix: string;
  network: { name: string; labels: Record<string, string> };
  volumes: Array<{ name: string; labels: Record<string, string> }>;
  /** In start order. */
  containers: ContainerSpec[];
}

export interface ReplicaOptions {
  /** The lab's prefix (`vector-ha-lab-<stack>`), replaced by `prefix` in every name. */
  labPrefix: string;
  prefix: string;
  /** Where the copies of each container's uploaded files are (`copiedFilesDir`). */
  filesDir: string;
  /** The balancer waits for the aggregators with an index below this (the lab's starting count). */
  initialAggregators: number;
}

function roleOf(spec: ContainerSpec): ReplicaRole {
  const role = spec.labels[labelKeys.role];
  if (!(startOrder as readonly string[]).includes(role)) {
    throw new Error(
      `container ${spec.name}: label ${labelKeys.role}=${role}; allowed: ${startOrder.join(", ")}`,
    );
  }
  return role as ReplicaRole;
}

/** The directory inside a container that holds what the lab uploaded into it, by role. */
export function uploadedFilesDir(role: string): string | undefined {
  switch (role) {
    case "aggregator":
    case "agent":
      return path.posix.dirname(vectorPaths.config);
    case "haproxy":
      return path.posix.dirname(haproxyConfigPath);
    default:
      return undefined;
  }
}

/** Where the copy of a lab container's uploaded files goes on the host. */
export function copiedFilesDir(filesDir: string, labPrefix: string, labContainerName: string): string {
  return path.join(filesDir, labContainerName.slice(labPrefix.length + 1));
}

const aggregatorIndex = (name: string): number => Number(/-(\d+)$/.exec(name)?.[1] ?? NaN);

export function replicaPlan(labContainers: ContainerSpec[], options: ReplicaOptions): ReplicaPlan {
  const rename = (name: string): string =>
    name.startsWith(`${options.labPrefix}-`)
      ? `${options.prefix}${name.slice(options.labPrefix.length)}`
      : name;
  const relabel = (labels: Record<string, string>): Record<string, string> => ({
    ...labels,
    // Its own stack label, so nothing of the lab's (status, down, orphan clean-up) ever counts it.
    [labelKeys.stack]: options.prefix,
  });
  const sorted = [...labContainers].sort(
    (a, b) =>
      startOrder.indexOf(roleOf(a)) - startOrder.indexOf(roleOf(b)) ||
      a.name.localeCompare(b.name, undefined, { numeric: true }),
  );
  const names = (role: ReplicaRole, keep: (spec: ContainerSpec) => boolean = () => true): string[] =>
    sorted.filter((s) => roleOf(s) === role && keep(s)).map((s) => rename(s.name));
  const startsAfter: Record<ReplicaRole, string[]> = {
    aggregator: [],
    haproxy: names("aggregator", (s) => aggregatorIndex(s.name) < options.initialAggregators),
    "demo-app": [],
    agent: names("haproxy"),
  };
  const labNetworks = new Set(sorted.flatMap((s) => (s.network ? [s.network.name] : [])));
  if (labNetworks.size !== 1) {
    throw new Error(
      `the lab's containers are on ${labNetworks.size} networks (${[...labNetworks].join(", ")}); allowed: 1`,
    );
  }
  const containers = sorted.map((spec): ContainerSpec => {
    const uploads = uploadedFilesDir(roleOf(spec));
    const copied: Mount[] = uploads
      ? [
          {
            source: copiedFilesDir(options.filesDir, options.labPrefix, spec.name),
            target: uploads,
            readOnly: true,
          },
        ]
      : [];
    return {
      ...spec,
      name: rename(spec.name),
      hostname: rename(spec.hostname),
      labels: relabel(spec.labels),
      network: spec.network && { name: rename(spec.network.name), aliases: [...spec.network.aliases] },
      volumes: spec.volumes.map((v) => ({ ...v, source: rename(v.source) })),
      binds: [...spec.binds, ...copied],
      startsAfter: startsAfter[roleOf(spec)],
    };
  });
  const anyLabels = relabel(sorted[0]?.labels ?? {});
  // A volume carries the labels of the first container that mounts it, as the lab's do.
  const volumes = new Map<string, Record<string, string>>();
  for (const c of containers)
    for (const v of c.volumes) if (!volumes.has(v.source)) volumes.set(v.source, c.labels);
  return {
    prefix: options.prefix,
    network: { name: rename([...labNetworks][0]), labels: { ...anyLabels, [labelKeys.role]: "network" } },
    volumes: [...volumes].map(([name, labels]) => ({ name, labels })),
    containers,
  };
}

/** The plan without these containers, and without the volumes only they used. */
export function withoutContainers(plan: ReplicaPlan, names: string[]): ReplicaPlan {
  const containers = plan.containers.filter((c) => !names.includes(c.name));
  const used = new Set(containers.flatMap((c) => c.volumes.map((v) => v.source)));
  return {
    ...plan,
    containers: containers.map((c) => ({
      ...c,
      startsAfter: c.startsAfter.filter((n) => !names.includes(n)),
    })),
    volumes: plan.volumes.filter((v) => used.has(v.name)),
  };
}

/** Volumes used by these containers and by no other in the plan. */
export function volumesOnlyOf(plan: ReplicaPlan, names: string[]): string[] {
  const kept = new Set(withoutContainers(plan, names).volumes.map((v) => v.name));
  return plan.volumes.map((v) => v.name).filter((name) => !kept.has(name));
}
