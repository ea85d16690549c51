/**
 * The lab's stack outputs as the lab command reads them back from the engine: the program's own
 * `LabOutputs` type (components/lab.ts), unwrapped, after checking that the values are there.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { OutputMap } from "@pulumi/pulumi/automation";
import type { LabOutputs } from "../components/lab";

export type LabOutputValues = pulumi.Unwrap<LabOutputs>;

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
