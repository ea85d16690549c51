import type * as docker from "@pulumi/docker";

/** Docker provider label lists from a plain record. */
export function dockerLabels(labels: Record<string, string>): docker.types.input.ContainerLabel[] {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}
