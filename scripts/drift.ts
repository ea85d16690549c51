/**
 * What a refresh does not see: the docker provider reads back a container that exists, but not the
 * networks it was cut from (`docker network disconnect`), so `up` would leave it cut off. This finds,
 * in the stack's state, each container that the program attached to a network it is no longer on,
 * so that `up` can replace it (checked on the real docker 5.2.0 provider: refresh reports no change).
 */
import { docker } from "./dockerCli";
import type { Stack } from "@pulumi/pulumi/automation";

interface StateContainer {
  urn: string;
  type: string;
  outputs?: { name?: string; networksAdvanced?: Array<{ name?: string }> };
}

/** Networks a container is on now, by name; undefined when there is no such container. */
function liveNetworks(container: string): string[] | undefined {
  try {
    const json = docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", container);
    return Object.keys(JSON.parse(json) as Record<string, unknown>);
  } catch {
    return undefined; // gone: refresh sees that, and up re-creates it
  }
}

/** URN and a reason for each container cut from a network the program put it on. */
export async function containersCutFromTheirNetworks(
  stack: Stack,
): Promise<Array<{ urn: string; reason: string }>> {
  const deployment = await stack.exportStack();
  const resources = (deployment.deployment?.resources ?? []) as StateContainer[];
  const cut: Array<{ urn: string; reason: string }> = [];
  for (const resource of resources) {
    if (resource.type !== "docker:index/container:Container" || !resource.outputs?.name) continue;
    const wanted = (resource.outputs.networksAdvanced ?? [])
      .map((n) => n.name)
      .filter((n): n is string => !!n);
    const live = liveNetworks(resource.outputs.name);
    if (live === undefined) continue;
    const missing = wanted.filter((network) => !live.includes(network));
    if (missing.length > 0) {
      cut.push({
        urn: resource.urn,
        reason: `${resource.outputs.name} is no longer on ${missing.join(", ")}`,
      });
    }
  }
  return cut;
}
