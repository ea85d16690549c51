/**
 * The stand-in `tls` resource provider: the generic check/diff/create/read/update/delete over the
 * table in ./resources.ts. Served by `@pulumi/pulumi/provider`'s gRPC server, which hands each
 * method the engine's property values as plain JSON (secrets wrapped, unknowns as a sentinel).
 */
import * as provider from "@pulumi/pulumi/provider";
import { PropertyMap, isAbsent, isUnknown, reveal, sameValue } from "./properties";
import { ResourceType, readyForRenewal, resourceTypes } from "./resources";

/** The type token of a URN (`urn:pulumi:stack::project::parent$type::name`). */
export function typeOfUrn(urn: string): string {
  const qualifiedType = urn.split("::")[2] ?? "";
  return qualifiedType.split("$").pop() ?? "";
}

function resourceTypeOf(urn: string): ResourceType {
  const token = typeOfUrn(urn);
  const type = resourceTypes[token];
  if (!type) {
    throw new Error(
      `tls stand-in: resource type ${token} is not implemented ` +
        `(implemented: ${Object.keys(resourceTypes).join(", ")})`,
    );
  }
  return type;
}

function pickInputs(type: ResourceType, props: PropertyMap): PropertyMap {
  return Object.fromEntries(
    Object.keys(type.inputs)
      .filter((field) => !isAbsent(props[field]))
      .map((field) => [field, props[field]]),
  );
}

export class TlsStandinProvider implements provider.Provider {
  constructor(readonly version: string) {}

  async check(urn: string, _olds: PropertyMap, news: PropertyMap): Promise<provider.CheckResult> {
    const type = resourceTypeOf(urn);
    const failures: provider.CheckFailure[] = [];
    for (const property of Object.keys(news)) {
      if (!(property in type.inputs)) {
        failures.push({
          property,
          reason:
            `not supported by the tls stand-in (${typeOfUrn(urn)}); ` +
            `supported: ${Object.keys(type.inputs).join(", ")}`,
        });
      }
    }
    const inputs: PropertyMap = {};
    for (const [property, field] of Object.entries(type.inputs)) {
      const value = news[property];
      if (isAbsent(value)) {
        if (field.required) failures.push({ property, reason: "missing required property" });
        else if (field.default !== undefined) inputs[property] = field.default;
        continue;
      }
      inputs[property] = value;
      if (!isUnknown(value)) failures.push(...field.kind(reveal(value), property));
    }
    return { inputs, failures };
  }

  async diff(_id: string, urn: string, olds: PropertyMap, news: PropertyMap): Promise<provider.DiffResult> {
    const type = resourceTypeOf(urn);
    const changed = Object.keys(type.inputs).filter((field) => !sameValue(olds[field], news[field]));
    const replaces = changed.filter((field) => !type.inputs[field].updatable);
    if (type.renewable && renewalDue(olds, news)) replaces.push("readyForRenewal");
    return { changes: changed.length > 0 || replaces.length > 0, replaces, deleteBeforeReplace: false };
  }

  async create(urn: string, inputs: PropertyMap): Promise<provider.CreateResult> {
    const type = resourceTypeOf(urn);
    const { id, outs } = await type.create(reveal(inputs) as PropertyMap);
    return { id, outs: { ...pickInputs(type, inputs), ...outs } };
  }

  /** Refresh: keys and certificates live only in the state, so the stored state is the truth. */
  async read(id: string, urn: string, props: PropertyMap): Promise<provider.ReadResult> {
    const type = resourceTypeOf(urn);
    if (Object.keys(props ?? {}).length === 0) {
      throw new Error(
        `tls stand-in: reading ${typeOfUrn(urn)} ${id} without its stored state (import, .get) is not implemented`,
      );
    }
    return { id, props, inputs: pickInputs(type, props) };
  }

  /** Only fields marked `updatable` reach here (`earlyRenewalHours`); the certificate stays the same. */
  async update(
    _id: string,
    urn: string,
    olds: PropertyMap,
    news: PropertyMap,
  ): Promise<provider.UpdateResult> {
    const type = resourceTypeOf(urn);
    const outs: PropertyMap = { ...olds, ...pickInputs(type, news) };
    if (type.renewable) {
      outs.readyForRenewal = readyForRenewal(
        reveal(outs.validityEndTime) as string,
        reveal(outs.earlyRenewalHours) as number,
      );
    }
    return { outs };
  }

  /** Keys and certificates exist only in the state: nothing to remove. */
  async delete(): Promise<void> {}

  /** The real provider's functions (`getCertificate`, `getPublicKey`) are not implemented. */
  async invoke(token: string): Promise<provider.InvokeResult> {
    throw new Error(`tls stand-in: function ${token} is not implemented`);
  }
}

function renewalDue(olds: PropertyMap, news: PropertyMap): boolean {
  const validityEndTime = reveal(olds.validityEndTime);
  const earlyRenewalHours = reveal(news.earlyRenewalHours);
  if (typeof validityEndTime !== "string" || typeof earlyRenewalHours !== "number") return false;
  return readyForRenewal(validityEndTime, earlyRenewalHours);
}
