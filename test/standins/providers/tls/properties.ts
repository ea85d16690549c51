/**
 * Property values as the engine sends them to a provider written with `@pulumi/pulumi/provider`:
 * plain JSON in which a secret is `{ [specialSigKey]: specialSecretSig, value }` (the server tells
 * the engine it accepts secrets) and a value not known yet during preview is the `unknownValue`
 * string. And the input kinds a field table is written with.
 */
// The SDK's public runtime API (not a private module path, which may move in any release).
import { runtime } from "@pulumi/pulumi";
const { specialSecretSig, specialSigKey, unknownValue } = runtime;
import { CheckFailure } from "@pulumi/pulumi/provider";

export type PropertyMap = Record<string, unknown>;

/** Marks an output value secret, so the engine encrypts it in the state. */
export function secret<T>(value: T): { [key: string]: unknown } {
  return { [specialSigKey]: specialSecretSig, value };
}

import { reveal } from "../../../support/wireValues";

export { reveal };

/** True when the value itself (not something inside it) is not known yet (preview). */
export function isUnknown(value: unknown): boolean {
  return reveal(value) === unknownValue;
}

export function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

/** Equality of two property values, ignoring secretness; absent equals absent. */
export function sameValue(a: unknown, b: unknown): boolean {
  const x = reveal(a);
  const y = reveal(b);
  if (isAbsent(x) || isAbsent(y)) return isAbsent(x) && isAbsent(y);
  return JSON.stringify(x) === JSON.stringify(y);
}

/** Checks one known (revealed) value; returns the reasons it is wrong, empty when it is fine. */
export type Kind = (value: unknown, property: string) => CheckFailure[];

const fail = (property: string, reason: string): CheckFailure[] => [{ property, reason }];

export const text: Kind = (value, property) =>
  typeof value === "string" ? [] : fail(property, `expected a string, got ${JSON.stringify(value)}`);

export const boolean: Kind = (value, property) =>
  typeof value === "boolean" ? [] : fail(property, `expected a boolean, got ${JSON.stringify(value)}`);

export function integer(min: number): Kind {
  return (value, property) =>
    typeof value === "number" && Number.isInteger(value) && value >= min
      ? []
      : fail(property, `expected an integer of at least ${min}, got ${JSON.stringify(value)}`);
}

export function oneOf(allowed: readonly string[]): Kind {
  return (value, property) =>
    typeof value === "string" && allowed.includes(value)
      ? []
      : fail(property, `expected one of ${allowed.join(", ")}; got ${JSON.stringify(value)}`);
}

export function listOf(element: Kind): Kind {
  return (value, property) => {
    if (!Array.isArray(value)) return fail(property, `expected a list, got ${JSON.stringify(value)}`);
    return value.flatMap((item, i) => (isUnknown(item) ? [] : element(item, `${property}[${i}]`)));
  };
}

/** An object with exactly these optional fields; any other field is an error naming it. */
export function objectOf(fields: Record<string, Kind>): Kind {
  return (value, property) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return fail(property, `expected an object, got ${JSON.stringify(value)}`);
    }
    return Object.entries(value).flatMap(([key, item]) => {
      const kind = fields[key];
      if (!kind) {
        return fail(
          `${property}.${key}`,
          `not supported by the tls stand-in; supported: ${Object.keys(fields).join(", ")}`,
        );
      }
      return isAbsent(item) || isUnknown(item) ? [] : kind(item, `${property}.${key}`);
    });
  };
}
