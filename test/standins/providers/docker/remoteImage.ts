/**
 * `docker:index/remoteImage:RemoteImage`: an image in the local engine. Present locally → its id, no
 * pull (as the real provider). Absent → a pull, which offline fails with a message saying so.
 */
import type { CheckFailure } from "@pulumi/pulumi/provider";
import type Docker from "dockerode";
import { expectType } from "./fields";
import { dockerMessage, isNotFound, ResourceType } from "./resourceType";
import type { PropertyMap } from "./values";

export const remoteImage: ResourceType = {
  named: false,
  fields: {
    name: { onChange: "replace" },
    pullTriggers: { onChange: "replace", unordered: true },
    keepLocally: { onChange: "update" },
    forceRemove: { onChange: "update" },
  },
  validate(inputs) {
    const failures: CheckFailure[] = [];
    if (inputs.name === undefined) {
      failures.push({ property: "name", reason: "RemoteImage needs a name" });
    }
    for (const [field, kind] of [
      ["name", "string"],
      ["pullTriggers", "string[]"],
      ["keepLocally", "boolean"],
      ["forceRemove", "boolean"],
    ] as const) {
      const reason = expectType(inputs[field], kind);
      if (reason) failures.push({ property: field, reason });
    }
    return failures;
  },
  async create(docker, inputs) {
    const name = inputs.name as string;
    let live = await inspectImage(docker, name);
    if (live === undefined) {
      try {
        await pull(docker, name);
      } catch (error) {
        throw new Error(
          `image ${name} is not in the local engine and cannot be pulled: ${dockerMessage(error)}`,
        );
      }
      live = await inspectImage(docker, name);
      if (live === undefined) {
        throw new Error(`image ${name} is not in the local engine after a pull that reported success`);
      }
    }
    // The real provider's id: the image id followed by the name.
    return { id: `${live.Id}${name}`, outs: { ...inputs, ...imageOutputs(live) } };
  },
  async read(docker, _id, state) {
    const live = await inspectImage(docker, state.name as string);
    return live === undefined ? undefined : { ...state, ...imageOutputs(live) };
  },
  async update(_docker, _id, olds, news) {
    // keepLocally and forceRemove only change what delete does.
    return { ...olds, ...news };
  },
  async delete(docker, _id, state) {
    if (state.keepLocally === true) {
      return;
    }
    try {
      await docker.getImage(state.name as string).remove({ force: state.forceRemove === true });
    } catch (error) {
      if (isNotFound(error)) return;
      throw new Error(`cannot remove image ${String(state.name)}: ${dockerMessage(error)}`);
    }
  },
};

async function inspectImage(docker: Docker, name: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(name).inspect();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function imageOutputs(live: Docker.ImageInspectInfo): PropertyMap {
  return { imageId: live.Id, repoDigest: live.RepoDigests?.[0] ?? "" };
}

async function pull(docker: Docker, name: string): Promise<void> {
  const stream = await docker.pull(name);
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
      const failed = events?.find((event) => event.error);
      if (error) reject(error);
      else if (failed) reject(new Error(failed.error));
      else resolve();
    });
  });
}
