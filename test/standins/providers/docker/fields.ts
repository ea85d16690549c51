/**
 * The stand-in's field tables: for each resource type, the input fields it implements and what a
 * change of each makes the engine do. `check` rejects every other field by name; `diff` reads the
 * table to answer update or replace.
 */
import type { CheckFailure } from "@pulumi/pulumi/provider";
import { containsUnknown, deepEqual, isPlainObject, isUnknown, PropertyMap, reveal } from "./values";

/** What a change of an input makes the engine do: replace the object, or update it in place. */
export type ChangeRule = "replace" | "update";

export interface FieldSpec {
  readonly onChange: ChangeRule;
  /** For an object, or a list of objects: the keys each may hold (others are errors). */
  readonly keys?: readonly string[];
  /** Filled in by Docker when not given: a field absent from the new inputs is then no change. */
  readonly computed?: boolean;
  /** The real provider holds this list as a set: order does not count as a change. */
  readonly unordered?: boolean;
  /** A comparison of the old output and the new input, both revealed, when plain equality is wrong. */
  readonly same?: (oldValue: unknown, newValue: unknown) => boolean;
}

export type FieldTable = Readonly<Record<string, FieldSpec>>;

/**
 * Keys the stand-in writes into checked inputs itself, like the Terraform bridge does: `__defaults`
 * lists inputs that `check` filled in (an auto-generated `name`).
 */
export const defaultsKey = "__defaults";

/** One failure per input field, or nested key, that the table does not list. */
export function unsupportedFields(typeToken: string, table: FieldTable, inputs: PropertyMap): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const supported = Object.keys(table).join(", ");
  for (const [key, value] of Object.entries(inputs)) {
    if (key === defaultsKey) {
      continue;
    }
    const spec = table[key];
    if (spec === undefined) {
      failures.push({
        property: key,
        reason: `the docker stand-in does not implement ${typeToken} input "${key}" (it implements: ${supported})`,
      });
      continue;
    }
    if (spec.keys === undefined) {
      continue;
    }
    const revealed = reveal(value);
    const elements = Array.isArray(revealed) ? revealed : [revealed];
    elements.forEach((element, index) => {
      if (!isPlainObject(element)) {
        return;
      }
      for (const nestedKey of Object.keys(element)) {
        if (!spec.keys!.includes(nestedKey)) {
          const path = Array.isArray(revealed) ? `${key}[${index}].${nestedKey}` : `${key}.${nestedKey}`;
          failures.push({
            property: path,
            reason: `the docker stand-in does not implement ${typeToken} input "${path}" (${key} supports: ${spec.keys!.join(", ")})`,
          });
        }
      }
    });
  }
  return failures;
}

/** The fields whose new input differs from the old state, and those of them that force a replace. */
export function changedFields(
  table: FieldTable,
  olds: PropertyMap,
  news: PropertyMap,
): { changed: string[]; replaces: string[] } {
  const changed: string[] = [];
  const replaces: string[] = [];
  for (const [field, spec] of Object.entries(table)) {
    const newValue = news[field];
    if (newValue === undefined && spec.computed) {
      continue;
    }
    if (!containsUnknown(newValue) && isSame(spec, reveal(olds[field]), reveal(newValue))) {
      continue;
    }
    changed.push(field);
    if (spec.onChange === "replace") {
      replaces.push(field);
    }
  }
  return { changed, replaces };
}

function isSame(spec: FieldSpec, oldValue: unknown, newValue: unknown): boolean {
  if (spec.same) {
    return spec.same(oldValue, newValue);
  }
  if (spec.unordered) {
    return deepEqual(canonicalSet(oldValue), canonicalSet(newValue));
  }
  return deepEqual(oldValue, newValue);
}

/** A list in a fixed order (and the lists inside its elements), for set-like comparison. */
export function canonicalSet(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value
      .map(canonicalSet)
      .sort((a, b) =>
        JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0,
      );
  }
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => value[k] !== undefined && value[k] !== null)
        .map((k) => [k, canonicalSet(value[k])]),
    );
  }
  return value;
}

/**
 * The new state after an in-place update: the new inputs, plus the old computed outputs the new
 * inputs do not give.
 */
export function mergedOutputs(table: FieldTable, olds: PropertyMap, news: PropertyMap): PropertyMap {
  const outs: PropertyMap = { ...olds };
  for (const [field, spec] of Object.entries(table)) {
    if (news[field] === undefined && !spec.computed) {
      delete outs[field];
    }
  }
  return { ...outs, ...withoutDefaultsKey(news) };
}

export function withoutDefaultsKey(inputs: PropertyMap): PropertyMap {
  const rest = { ...inputs };
  delete rest[defaultsKey];
  return rest;
}

/** Checks of one field's revealed value; returns a reason, or undefined when fine (or unknown). */
export function expectType(
  value: unknown,
  kind: "string" | "number" | "boolean" | "string[]",
): string | undefined {
  if (value === undefined || isUnknown(value)) {
    return undefined;
  }
  if (kind === "string[]") {
    return Array.isArray(value) && value.every((v) => typeof v === "string" || isUnknown(v))
      ? undefined
      : `expected a list of strings, got ${JSON.stringify(value)}`;
  }
  return typeof value === kind ? undefined : `expected a ${kind}, got ${JSON.stringify(value)}`;
}
