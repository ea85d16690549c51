/**
 * One of the lab's containers as `docker inspect` shows it, reduced to what starting the same container
 * again with another tool needs: image, environment, entrypoint, network and aliases, published ports,
 * volumes, labels, health check. Pure: the inspect JSON comes in, a plain description goes out.
 * Reference: https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Container/operation/ContainerInspect
 */

/** The fields of `docker inspect CONTAINER` read here. */
export interface InspectedContainer {
  Id: string;
  Name: string;
  Config: {
    Hostname: string;
    Image: string;
    Env: string[] | null;
    Entrypoint: string[] | null;
    Cmd: string[] | null;
    Labels: Record<string, string> | null;
    /** Durations in nanoseconds. */
    Healthcheck?: {
      Test: string[];
      Interval?: number;
      Timeout?: number;
      StartPeriod?: number;
      Retries?: number;
    };
  };
  HostConfig: {
    NetworkMode: string;
    PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null;
    RestartPolicy: { Name: string } | null;
  };
  Mounts: Array<{ Type: string; Name?: string; Source: string; Destination: string; RW: boolean }>;
  NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> | null };
}

/** The fields of `docker image inspect IMAGE` read here: what the container inherits unless it overrides it. */
export interface InspectedImage {
  Id: string;
  RepoTags: string[] | null;
  Config: {
    Env: string[] | null;
    Entrypoint: string[] | null;
    Cmd: string[] | null;
    Labels?: Record<string, string> | null;
  };
}

export interface PublishedPort {
  containerPort: number;
  protocol: string;
  /** The host address it is published on (the lab's `hostBindAddress`). */
  hostIp: string;
  hostPort: number;
}

export interface Mount {
  /** A named volume, or a host path for a bind mount. */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface Healthcheck {
  /** Docker's form: `["CMD", exe, args...]`, `["CMD-SHELL", line]` or `["NONE"]`. */
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  startPeriodMs?: number;
  retries?: number;
}

export interface ContainerSpec {
  name: string;
  hostname: string;
  /** An image reference by tag when the engine knows one for the image, else its id. */
  image: string;
  /** The labels the container has on top of its image's. */
  labels: Record<string, string>;
  /** The variables the container sets on top of its image's. */
  env: string[];
  /** Only when it overrides the image's. */
  entrypoint?: string[];
  /** Only when it differs from what the image (or an overridden entrypoint) gives. */
  command?: string[];
  /** Docker's restart policy name ("unless-stopped"); "no" when none. */
  restart: string;
  /** Its one user-defined network with its own aliases there; undefined for `--network none`. */
  network?: { name: string; aliases: string[] };
  ports: PublishedPort[];
  /** Named volumes. */
  volumes: Mount[];
  /** Host directories: the lab's uploaded files once copied out (replicaPlan.ts). */
  binds: Mount[];
  healthcheck?: Healthcheck;
  /** Containers (by name) started before this one. */
  startsAfter: string[];
}

const sameList = (a: string[] | null, b: string[] | null): boolean =>
  JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

const nsToMs = (ns: number | undefined): number | undefined =>
  ns === undefined || ns === 0 ? undefined : Math.round(ns / 1e6);

/** The image as a person would name it: its tag when `Config.Image` is a bare id. */
function imageReference(configured: string, image: InspectedImage): string {
  if (!configured.startsWith("sha256:")) return configured;
  return image.RepoTags?.find((tag) => !tag.endsWith(":<none>")) ?? configured;
}

/** Aliases the container was given; Docker adds its short id (and, in newer engines, its name). */
function ownAliases(aliases: string[] | null, container: InspectedContainer, name: string): string[] {
  const added = new Set([container.Id.slice(0, 12), name, container.Config.Hostname]);
  return (aliases ?? []).filter((alias) => !added.has(alias));
}

function publishedPorts(bindings: InspectedContainer["HostConfig"]["PortBindings"]): PublishedPort[] {
  return Object.entries(bindings ?? {}).flatMap(([key, hosts]) => {
    const [port, protocol = "tcp"] = key.split("/");
    return (hosts ?? []).map((host) => ({
      containerPort: Number(port),
      protocol,
      hostIp: host.HostIp,
      hostPort: Number(host.HostPort || port),
    }));
  });
}

export function containerSpecFromInspect(
  container: InspectedContainer,
  image: InspectedImage,
): ContainerSpec {
  const name = container.Name.replace(/^\//, "");
  const networks = Object.entries(container.NetworkSettings.Networks ?? {}).filter(([net]) => net !== "none");
  if (networks.length > 1) {
    throw new Error(
      `container ${name} is on ${networks.length} networks (${networks.map(([n]) => n).join(", ")}); ` +
        "allowed: one user-defined network, or none",
    );
  }
  const entrypointOverridden = !sameList(container.Config.Entrypoint, image.Config.Entrypoint);
  // An overridden entrypoint drops the image's command (docker run --entrypoint, compose `entrypoint:`).
  const inheritedCommand = entrypointOverridden ? null : image.Config.Cmd;
  const imageEnv = new Set(image.Config.Env ?? []);
  const health = container.Config.Healthcheck;
  return {
    name,
    hostname: container.Config.Hostname,
    image: imageReference(container.Config.Image, image),
    // The image's own labels come with it.
    labels: Object.fromEntries(
      Object.entries(container.Config.Labels ?? {}).filter(
        ([key, value]) => image.Config.Labels?.[key] !== value,
      ),
    ),
    env: (container.Config.Env ?? []).filter((entry) => !imageEnv.has(entry)),
    entrypoint: entrypointOverridden ? [...(container.Config.Entrypoint ?? [])] : undefined,
    command: sameList(container.Config.Cmd, inheritedCommand) ? undefined : [...(container.Config.Cmd ?? [])],
    restart: container.HostConfig.RestartPolicy?.Name || "no",
    network:
      networks.length === 0
        ? undefined
        : { name: networks[0][0], aliases: ownAliases(networks[0][1].Aliases, container, name) },
    ports: publishedPorts(container.HostConfig.PortBindings),
    volumes: container.Mounts.filter((m) => m.Type === "volume").map((m) => ({
      source: m.Name ?? m.Source,
      target: m.Destination,
      readOnly: !m.RW,
    })),
    binds: container.Mounts.filter((m) => m.Type === "bind").map((m) => ({
      source: m.Source,
      target: m.Destination,
      readOnly: !m.RW,
    })),
    healthcheck: health
      ? {
          test: [...health.Test],
          intervalMs: nsToMs(health.Interval),
          timeoutMs: nsToMs(health.Timeout),
          startPeriodMs: nsToMs(health.StartPeriod),
          retries: health.Retries || undefined,
        }
      : undefined,
    startsAfter: [],
  };
}
