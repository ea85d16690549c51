/** `docker:index/volume:Volume`: a named Docker volume. Every implemented input replaces (as the real one). */
import type { CheckFailure } from "@pulumi/pulumi/provider";
import { expectType } from "./fields";
import { dockerMessage, isNotFound, labelMap, ResourceType } from "./resourceType";

export const volume: ResourceType = {
  named: true,
  fields: {
    name: { onChange: "replace" },
    labels: { onChange: "replace", keys: ["label", "value"], unordered: true },
    driver: { onChange: "replace", computed: true },
  },
  validate(inputs) {
    const failures: CheckFailure[] = [];
    for (const field of ["name", "driver"]) {
      const reason = expectType(inputs[field], "string");
      if (reason) failures.push({ property: field, reason });
    }
    return failures;
  },
  async create(docker, inputs) {
    const created = await docker.createVolume({
      Name: inputs.name as string,
      Driver: (inputs.driver as string | undefined) ?? "local",
      Labels: labelMap(inputs.labels),
    });
    const outs = await this.read(docker, created.name, inputs);
    if (outs === undefined) {
      throw new Error(`volume ${String(inputs.name)} vanished right after it was created`);
    }
    return { id: created.name, outs };
  },
  async read(docker, id, state) {
    try {
      const live = await docker.getVolume(id).inspect();
      return { ...state, name: live.Name, driver: live.Driver, mountpoint: live.Mountpoint };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  },
  async update() {
    throw new Error("docker stand-in: a Volume is never updated in place (every input replaces it)");
  },
  async delete(docker, id) {
    // A volume can stay "in use" for a moment after its container was removed: retry briefly, as the
    // real provider does.
    for (let attempt = 0; ; attempt++) {
      try {
        await docker.getVolume(id).remove();
        return;
      } catch (error) {
        if (isNotFound(error)) return;
        if ((error as { statusCode?: number }).statusCode !== 409 || attempt >= 20) {
          throw new Error(`cannot remove volume ${id}: ${dockerMessage(error)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  },
};
