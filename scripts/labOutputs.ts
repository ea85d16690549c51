/**
 * The lab's stack outputs as the lab command reads them back from the engine: the program's own
 * `LabOutputs` type (components/lab.ts), unwrapped, after checking that the values are there.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { OutputMap } from "@pulumi/pulumi/automation";
import type { LabOutputs } from "../components/lab";
import type { SwarmLabOutputs } from "../components/swarmLab";
import type { LabMode } from "./labMode";

export type LabOutputValues = pulumi.Unwrap<LabOutputs>;
export type SwarmOutputValues = pulumi.Unwrap<SwarmLabOutputs>;

/** The outputs of a stack up on the swarm target, or undefined (down, or the docker target). */
export function swarmOutputValues(outputs: OutputMap | undefined): SwarmOutputValues | undefined {
  if (outputs?.target?.value !== "swarm") return undefined;
  return Object.fromEntries(
    Object.entries(outputs).map(([key, { value }]) => [key, value]),
  ) as SwarmOutputValues;
}

/** What `up` prints on the swarm target. */
export function swarmUpSummary(stackName: string, mode: LabMode, out: SwarmOutputValues): string {
  const { ports, replicas } = out;
  return [
    "",
    `The lab is up on the Swarm at ${out.dockerHost || "the local engine"} (${mode.kind} mode, stack ${stackName}).`,
    `  Aggregators: service ${out.serviceNames.aggregators}, ${replicas.aggregators} tasks spread over the nodes`,
    `  Balancers:   service ${out.serviceNames.balancers}, ${replicas.balancers} tasks, one per node, on each node's`,
    `               ports ${ports.vector} (Vector protocol, mTLS), ${ports.remoteWrite} (remote write), ${ports.stats} (stats)`,
    `  Agents:      service ${out.serviceNames.agents}, ${replicas.agents} tasks, dialling ${out.balancerHostnames.join(", ")}`,
    "Status:    npm run lab -- status   (tasks per node, HAProxy's view from each balancer)",
    `Scale:     npm run lab -- scale N   (or edit aggregators in Pulumi.${stackName}.yaml, then npm run lab -- up)`,
    "Tear down: npm run lab -- down",
  ].join("\n");
}

/** What the lab command reads; every other output is passed through as the program returned it. */
const required = [
  "balancerEndpoints",
  "statsUrl",
  "metricsUrl",
  "aggregatorContainerNames",
  "agentContainerNames",
];

/** The outputs of a stack that is up, or undefined for a stack that is down (no outputs). */
export function labOutputValues(outputs: OutputMap | undefined): LabOutputValues | undefined {
  if (!outputs || Object.keys(outputs).length === 0) return undefined;
  if (outputs.target?.value === "swarm") {
    throw new Error(
      "this stack runs on the swarm target: this verb works on the docker target only (see docs/swarm.md)",
    );
  }
  const missing = required.filter((key) => outputs[key]?.value === undefined);
  if (missing.length > 0) {
    throw new Error(
      `the stack's outputs lack ${missing.join(", ")}: was it made by another version of the lab?`,
    );
  }
  return Object.fromEntries(
    Object.entries(outputs).map(([key, { value }]) => [key, value]),
  ) as LabOutputValues;
}
