/** `docker:index/network:Network`: a Docker network. Every implemented input replaces (as the real one). */
import type { CheckFailure } from "@pulumi/pulumi/provider";
import { expectType } from "./fields";
import { isNotFound, labelMap, ResourceType } from "./resourceType";
import type { PropertyMap } from "./values";

export const network: ResourceType = {
  named: true,
  fields: {
    name: { onChange: "replace" },
    labels: { onChange: "replace", keys: ["label", "value"], unordered: true },
    driver: { onChange: "replace", computed: true },
    internal: { onChange: "replace", computed: true },
    attachable: { onChange: "replace" },
  },
  validate(inputs) {
    const failures: CheckFailure[] = [];
    for (const [field, kind] of [
      ["name", "string"],
      ["driver", "string"],
      ["internal", "boolean"],
      ["attachable", "boolean"],
    ] as const) {
      const reason = expectType(inputs[field], kind);
      if (reason) failures.push({ property: field, reason });
    }
    return failures;
  },
  async create(docker, inputs) {
    const created = await docker.createNetwork({
      Name: inputs.name as string,
      Driver: (inputs.driver as string | undefined) ?? "bridge",
      Internal: (inputs.internal as boolean | undefined) ?? false,
      Attachable: (inputs.attachable as boolean | undefined) ?? false,
      Labels: labelMap(inputs.labels),
      CheckDuplicate: true,
    });
    const outs = await this.read(docker, created.id, inputs);
    if (outs === undefined) {
      throw new Error(`network ${String(inputs.name)} vanished right after it was created`);
    }
    return { id: created.id, outs };
  },
  async read(docker, id, state) {
    try {
      const live = await docker.getNetwork(id).inspect();
      return {
        ...state,
        name: live.Name,
        driver: live.Driver,
        internal: live.Internal,
        scope: live.Scope,
        ipamConfigs: ((live.IPAM?.Config ?? []) as { Subnet?: string; Gateway?: string }[]).map((c) => ({
          subnet: c.Subnet,
          gateway: c.Gateway,
        })),
      } satisfies PropertyMap;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  },
  async update() {
    throw new Error("docker stand-in: a Network is never updated in place (every input replaces it)");
  },
  async delete(docker, id) {
    try {
      await docker.getNetwork(id).remove();
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
};
