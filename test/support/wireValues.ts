/**
 * Property values as the Pulumi SDK puts them on the wire (mock monitor, provider gRPC): plain JSON in
 * which a secret is the SDK's `{ [specialSigKey]: specialSecretSig, value }` wrapper. Shared by the
 * mock tests and both provider stand-ins.
 */
// The SDK's public runtime API (not a private module path, which may move in any release).
import { runtime } from "@pulumi/pulumi";
const { isRpcSecret } = runtime;

/** True when the value itself is a secret wrapper. */
export function isSecretValue(value: unknown): value is { value: unknown } {
  return isRpcSecret(value);
}

/** The value with every secret wrapper removed, at any depth. */
export function reveal(value: unknown): unknown {
  if (isSecretValue(value)) return reveal(value.value);
  if (Array.isArray(value)) return value.map(reveal);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
  }
  return value;
}
