/**
 * Property values as the engine hands them to a provider over gRPC (after `Struct.toJavaScript()`):
 * plain JSON, except that a secret is `{ [specialSigKey]: specialSecretSig, value }` (the SDK's server
 * answers Configure with `acceptSecrets: true`) and, during preview, an unknown value is the string
 * `unknownValue`. Docker gets revealed values; the state keeps the secret wrappers, so an output that
 * came from a secret input stays secret.
 */
// The SDK's public runtime API (not a private module path, which may move in any release).
import { runtime } from "@pulumi/pulumi";
const { isRpcSecret, unknownValue } = runtime;

/** A property bag as the engine sends it. */
export type PropertyMap = Record<string, unknown>;

import { reveal } from "../../../support/wireValues";

export { reveal };

/** True if the value is, or contains, a value that is unknown during preview. */
export function containsUnknown(value: unknown): boolean {
  if (value === unknownValue) {
    return true;
  }
  if (isRpcSecret(value)) {
    return containsUnknown((value as { value: unknown }).value);
  }
  if (Array.isArray(value)) {
    return value.some(containsUnknown);
  }
  if (isPlainObject(value)) {
    return Object.values(value).some(containsUnknown);
  }
  return false;
}

export function isUnknown(value: unknown): boolean {
  return value === unknownValue;
}

export function isPlainObject(value: unknown): value is PropertyMap {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Structural equality of two revealed JSON values (key order does not matter). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b || (a == null && b == null)) {
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** True if the value is, or contains, a secret. */
export function containsSecret(value: unknown): boolean {
  if (isRpcSecret(value)) {
    return true;
  }
  if (Array.isArray(value)) {
    return value.some(containsSecret);
  }
  if (isPlainObject(value)) {
    return Object.values(value).some(containsSecret);
  }
  return false;
}

/**
 * The value without `undefined` members, at any depth: the SDK's `Struct.fromJavaScript` rejects
 * them ("Unexpected struct type"), which would fail a create after the object exists.
 */
export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map(withoutUndefined) as T;
  }
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, withoutUndefined(v)]),
    ) as T;
  }
  return value;
}
