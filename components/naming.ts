/**
 * Names and labels of every Docker object: `<project>-<stack>-<role>[-<index>]`, so several stacks can
 * share one Docker host, and labels naming project, stack and role, so a stack's objects can be listed.
 */
import { labelKeys } from "./constants";

export type LabRole = "network" | "haproxy" | "aggregator" | "agent" | "demo-app" | "swarm-file";

export interface LabNaming {
  /** `<project>-<stack>`: the start of every Docker object name. */
  readonly prefix: string;
  readonly networkName: string;
  readonly balancerContainerName: string;
  /** Network alias of the balancer: the name agents dial, and a DNS name in every server certificate. */
  readonly balancerHostname: string;
  /** Network alias shared by all aggregators: HAProxy's `server-template` resolves it. */
  readonly aggregatorPoolHostname: string;
  aggregatorName(index: number): string;
  agentName(index: number): string;
  /** The demo app beside agent `index`, writing the log file that agent ships. */
  demoAppName(index: number): string;
  /** Volume holding a Vector container's `data_dir`. */
  dataVolumeName(containerName: string): string;
  /** Volume holding a demo app's log file: written by the app, read by its agent. */
  logVolumeName(appName: string): string;
  /** Swarm target: the agents' service (the aggregators' is the pool alias, the balancers' their alias). */
  readonly agentServiceName: string;
  /**
   * Swarm target: the host name of balancer task `slot` (1-based, Swarm's task slot), which Docker's
   * DNS resolves on the lab's network: the names agents list, one per balancer.
   */
  balancerTaskHostname(slot: number): string;
  /**
   * Swarm target: the name of a Swarm config or secret, `vhl-<stack>-<what>`, then `-<version>` (a
   * digest of what makes it change) when given. Both are immutable, so a new version is a new object
   * and the services using it roll. Short, since Swarm allows 64 characters.
   */
  swarmObjectName(what: string, version?: string): string;
  /** Docker labels for an object of this role. */
  labels(role: LabRole): Record<string, string>;
}

/** DNS labels are at most 63 characters; the longest host name is `<prefix>-aggregator-NN`. */
const longestSuffix = "-aggregator-99".length;

/** Builds the naming for one stack. Throws with a clear message when the names would not be valid. */
export function labNaming(project: string, stack: string): LabNaming {
  const prefix = `${project}-${stack}`;
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(stack) || prefix.length + longestSuffix > 63) {
    throw new Error(
      `stack name ${JSON.stringify(stack)} cannot name the lab's Docker objects and certificates; allowed: ` +
        `lowercase letters, digits and '-', at most ${63 - longestSuffix - project.length - 1} characters`,
    );
  }
  return {
    prefix,
    networkName: `${prefix}-network`,
    balancerContainerName: `${prefix}-haproxy`,
    balancerHostname: `${prefix}-balancer`,
    aggregatorPoolHostname: `${prefix}-aggregators`,
    aggregatorName: (index) => `${prefix}-aggregator-${index}`,
    agentName: (index) => `${prefix}-agent-${index}`,
    demoAppName: (index) => `${prefix}-demo-app-${index}`,
    dataVolumeName: (containerName) => `${containerName}-data`,
    logVolumeName: (appName) => `${appName}-logs`,
    agentServiceName: `${prefix}-agents`,
    balancerTaskHostname: (slot) => `${prefix}-balancer-${slot}`,
    swarmObjectName: (what, version) => `vhl-${stack}-${what}${version ? `-${version.slice(0, 10)}` : ""}`,
    labels: (role) => ({ [labelKeys.project]: project, [labelKeys.stack]: stack, [labelKeys.role]: role }),
  };
}
