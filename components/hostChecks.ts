/**
 * What the host must offer before the lab creates anything: a Docker engine that answers, the bind
 * address on this host, the three ports free there (or held by this very stack's balancer), and, with
 * `useLocalImages`, both images in the engine. Pure: it judges facts a `HostProbe` gathers
 * (hostProbe.ts), so every message is tested without an engine.
 */
import type { LabNaming } from "./naming";
import { describeValue, portSettings, type LabConfig, type RawSettings, type SettingName } from "./settings";

/** The facts the checks need, gathered from the host (hostProbe.ts) or made up by a test. */
export interface HostProbe {
  /** Where the Docker engine is expected (DOCKER_HOST or the default socket). */
  dockerEndpoint: string;
  /** Undefined when the engine answers its ping; else why not. */
  dockerPing(): Promise<string | undefined>;
  /** IPv4 addresses of this host's interfaces. */
  hostAddresses(): string[];
  /** Undefined when `address:port` can be bound; else what holds it. */
  portHolder(address: string, port: number): Promise<string | undefined>;
  /** Names of the running containers that publish `port` on the host. */
  containersPublishing(port: number): Promise<string[]>;
  /** Whether the engine has this image. */
  imageExists(reference: string): Promise<boolean>;
  /**
   * Undefined when the engine at `dockerHost` (undefined: the local one) answers and manages a Swarm;
   * else why not.
   */
  swarmManagerProblem(dockerHost: string | undefined): Promise<string | undefined>;
}

/** Every problem the host has for this config; an empty list means go. */
export async function hostProblems(
  config: LabConfig,
  raw: RawSettings,
  naming: LabNaming,
  probe: HostProbe,
): Promise<string[]> {
  const problems: string[] = [];
  const describe = (name: SettingName): string => `${name}: ${describeValue(raw, name)}`;

  // On a Swarm, ports are published on its nodes and images must be on each: the manager is what counts.
  if (config.target === "swarm") {
    const why = await probe.swarmManagerProblem(config.dockerHost);
    if (why !== undefined) {
      problems.push(
        `${describe("dockerHost")}; allowed: the Docker endpoint of a Swarm manager, and ${why} ` +
          "(npm run lab -- cluster up makes a local Swarm and prints its endpoint)",
      );
    }
    return problems;
  }

  const addresses = probe.hostAddresses();
  const bindable = config.hostBindAddress === "0.0.0.0" || addresses.includes(config.hostBindAddress);
  if (!bindable) {
    problems.push(
      `${describe("hostBindAddress")}; allowed: an IPv4 address of this host (${addresses.join(", ")}) or 0.0.0.0 for all`,
    );
  }

  const dockerDown = await dockerProblem(probe);
  if (dockerDown !== undefined) {
    problems.push(dockerDown);
    return problems; // the port and image checks below need the engine
  }

  if (bindable) {
    for (const name of portSettings) {
      const port = config[name];
      // On a second `up` the stack's own balancer holds its ports: that is no clash.
      const publishers = await probe.containersPublishing(port);
      if (publishers.includes(naming.balancerContainerName)) continue;
      const holder =
        publishers.length > 0
          ? `container ${publishers.join(", ")}`
          : await probe.portHolder(config.hostBindAddress, port);
      if (holder !== undefined) {
        problems.push(
          `${describe(name)}; allowed: a port free on ${config.hostBindAddress}, and ${port} is in use there ` +
            `(${holder}): set another or stop what holds it`,
        );
      }
    }
  }

  if (config.useLocalImages) {
    for (const name of ["haproxyImage", "vectorImage"] as const) {
      if (!(await probe.imageExists(config[name]))) {
        problems.push(
          `${describe(name)}; allowed: an image in the local engine, since useLocalImages is true and nothing ` +
            "is pulled (scripts/prepare-machine.sh builds the lab's images)",
        );
      }
    }
  }
  return problems;
}

/** The problem when no Docker engine answers (undefined when one does). */
export async function dockerProblem(probe: HostProbe): Promise<string | undefined> {
  const why = await probe.dockerPing();
  return why === undefined
    ? undefined
    : `Docker: no engine answers at ${probe.dockerEndpoint} (${why}); allowed: a running Docker engine ` +
        "(scripts/prepare-machine.sh starts one on a lab machine) or DOCKER_HOST naming one";
}

/** The message that stops the lab when the host has problems. */
export function hostNotReady(problems: string[]): string {
  return `the host is not ready for the lab:\n${problems.map((p) => `  - ${p}`).join("\n")}`;
}
