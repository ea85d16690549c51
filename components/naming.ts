/**
 * Names and labels of every Docker object: `<project>-<stack>-<role>[-<index>]`, so several stacks can
 * share one Docker host, and labels naming project, stack and role, so a stack's objects can be listed.
 */
import { labelKeys } from "./constants";

export type LabRole = "network" | "haproxy" | "aggregator" | "agent" | "demo-app";

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
    labels: (role) => ({ [labelKeys.project]: project, [labelKeys.stack]: stack, [labelKeys.role]: role }),
  };
}
