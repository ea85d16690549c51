/**
 * The docker stand-in provider: the type tokens it implements, each with its field table and handlers
 * (see the files named after each type), and the generic check / diff / CRUD plumbing.
 */
import type * as pulumi from "@pulumi/pulumi";
import type {
  CheckFailure,
  CheckResult,
  CreateResult,
  DiffResult,
  Provider,
  ReadResult,
  UpdateResult,
} from "@pulumi/pulumi/provider";
// The SDK's public runtime API (not a private module path, which may move in any release).
import { runtime } from "@pulumi/pulumi";
const { specialSecretSig, specialSigKey } = runtime;
import { randomBytes } from "crypto";
import Docker from "dockerode";
import { readFileSync } from "fs";
import * as path from "path";
import { container } from "./container";
import { changedFields, defaultsKey, mergedOutputs, unsupportedFields, withoutDefaultsKey } from "./fields";
import { network } from "./network";
import { remoteImage } from "./remoteImage";
import type { ResourceType } from "./resourceType";
import { volume } from "./volume";
import { containsSecret, containsUnknown, PropertyMap, reveal, withoutUndefined } from "./values";

/** Type token → implementation. Any other type is an error naming it. */
export const resourceTypes: Readonly<Record<string, ResourceType>> = {
  "docker:index/network:Network": network,
  "docker:index/volume:Volume": volume,
  "docker:index/remoteImage:RemoteImage": remoteImage,
  "docker:index/container:Container": container,
};

/** The plugin version the installed `@pulumi/docker` SDK asks the engine for. */
export function sdkPluginVersion(): string {
  const sdkPackage = path.join(path.dirname(require.resolve("@pulumi/docker")), "package.json");
  return (JSON.parse(readFileSync(sdkPackage, "utf8")) as { pulumi: { version: string } }).pulumi.version;
}

export class DockerStandinProvider implements Provider {
  readonly version = sdkPluginVersion();

  constructor(private readonly docker: Docker = new Docker()) {}

  async check(urn: pulumi.URN, olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
    const [typeToken, resourceType] = typeOf(urn);
    const revealed = reveal(news) as PropertyMap;
    const failures: CheckFailure[] = [
      ...unsupportedFields(typeToken, resourceType.fields, news),
      ...(resourceType.validate?.(revealed) ?? []),
    ];
    const inputs: PropertyMap = { ...resourceType.defaults, ...withoutDefaultsKey(news) };
    if (resourceType.named && inputs.name === undefined) {
      const oldDefaults = (olds[defaultsKey] as string[] | undefined) ?? [];
      inputs.name = oldDefaults.includes("name") && olds.name !== undefined ? olds.name : autoName(urn);
      inputs[defaultsKey] = ["name"];
    }
    return { inputs, failures };
  }

  async diff(_id: pulumi.ID, urn: pulumi.URN, olds: PropertyMap, news: PropertyMap): Promise<DiffResult> {
    const [, resourceType] = typeOf(urn);
    const { changed, replaces } = changedFields(resourceType.fields, olds, news);
    const nameGiven = !((news[defaultsKey] as string[] | undefined) ?? []).includes("name");
    return {
      changes: changed.length > 0,
      replaces,
      deleteBeforeReplace: replaces.length > 0 && resourceType.named && nameGiven,
    };
  }

  async create(urn: pulumi.URN, inputs: PropertyMap): Promise<CreateResult> {
    const [typeToken, resourceType] = typeOf(urn);
    if (containsUnknown(inputs)) {
      throw new Error(`docker stand-in: ${typeToken} create got unknown inputs: ${JSON.stringify(inputs)}`);
    }
    try {
      const { id, outs } = await resourceType.create(
        this.docker,
        withoutDefaultsKey(reveal(inputs) as PropertyMap),
      );
      return { id, outs: keepSecrets(inputs, outs) };
    } catch (error) {
      // An object that exists but failed to initialize comes with its state: secrets stay secret there too.
      const initFailure = error as { id?: string; properties?: PropertyMap };
      if (initFailure.id !== undefined && initFailure.properties !== undefined) {
        initFailure.properties = keepSecrets(inputs, initFailure.properties);
      }
      throw error;
    }
  }

  async read(id: pulumi.ID, urn: pulumi.URN, props: PropertyMap = {}): Promise<ReadResult> {
    const [, resourceType] = typeOf(urn);
    const live = await resourceType.read(this.docker, id, reveal(props) as PropertyMap);
    // An empty id tells the engine the object is gone (refresh after `docker rm`).
    return live === undefined ? { id: "", props: {} } : { id, props: keepSecrets(props, live) };
  }

  async update(id: pulumi.ID, urn: pulumi.URN, olds: PropertyMap, news: PropertyMap): Promise<UpdateResult> {
    const [, resourceType] = typeOf(urn);
    const revealedOlds = reveal(olds) as PropertyMap;
    const revealedNews = withoutDefaultsKey(reveal(news) as PropertyMap);
    const updated = await resourceType.update(this.docker, id, revealedOlds, revealedNews);
    return { outs: keepSecrets(news, mergedOutputs(resourceType.fields, revealedOlds, updated)) };
  }

  async delete(id: pulumi.ID, urn: pulumi.URN, props: PropertyMap): Promise<void> {
    const [, resourceType] = typeOf(urn);
    await resourceType.delete(this.docker, id, reveal(props) as PropertyMap);
  }
}

function typeOf(urn: string): [string, ResourceType] {
  // urn:pulumi:<stack>::<project>::<parent types$>type::<name>
  const qualifiedType = urn.split("::")[2] ?? "";
  const typeToken = qualifiedType.split("$").pop() ?? "";
  const resourceType = resourceTypes[typeToken];
  if (resourceType === undefined) {
    throw new Error(
      `the docker stand-in does not implement resource type ${typeToken} (it implements: ${Object.keys(resourceTypes).join(", ")})`,
    );
  }
  return [typeToken, resourceType];
}

/** `<resource name>-<7 hex characters>`, as Pulumi's auto-naming does. */
function autoName(urn: string): string {
  const resourceName = urn.split("::").pop() ?? "resource";
  return `${resourceName}-${randomBytes(4).toString("hex").slice(0, 7)}`;
}

/** Outputs whose input (or old state) held a secret anywhere are secret as a whole. */
function keepSecrets(source: PropertyMap, outs: PropertyMap): PropertyMap {
  const result: PropertyMap = withoutUndefined({ ...outs });
  for (const [key, value] of Object.entries(source)) {
    if (key in result && containsSecret(value) && !containsSecret(result[key])) {
      result[key] = { [specialSigKey]: specialSecretSig, value: result[key] };
    }
  }
  return result;
}
