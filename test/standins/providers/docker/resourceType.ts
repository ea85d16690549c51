/** What each resource type of the stand-in provides: its field table and its handlers. */
import type { CheckFailure } from "@pulumi/pulumi/provider";
import type Docker from "dockerode";
import type { FieldTable } from "./fields";
import type { PropertyMap } from "./values";

export interface ResourceType {
  /** Input fields implemented, and what a change of each does. Anything else fails `check`. */
  readonly fields: FieldTable;
  /** Inputs `check` fills in when absent, as the real provider's schema defaults do. */
  readonly defaults?: PropertyMap;
  /**
   * The object has a Docker name: when `name` is absent, `check` makes one from the resource name
   * and a random suffix (the real provider's auto-naming), and a replace of a named object deletes
   * it first (its name cannot be held twice).
   */
  readonly named: boolean;
  /** Value checks beyond the field names, on revealed inputs (unknowns may appear in previews). */
  validate?(inputs: PropertyMap): CheckFailure[];
  create(docker: Docker, inputs: PropertyMap): Promise<{ id: string; outs: PropertyMap }>;
  /** The live state, or `undefined` when the object is gone. */
  read(docker: Docker, id: string, state: PropertyMap): Promise<PropertyMap | undefined>;
  /** In-place update for the fields marked "update"; returns the new state. */
  update(docker: Docker, id: string, olds: PropertyMap, news: PropertyMap): Promise<PropertyMap>;
  /** Removes the object; succeeds when it is already gone. */
  delete(docker: Docker, id: string, state: PropertyMap): Promise<void>;
}

/** Docker's answer for an object that does not exist. */
export function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number })?.statusCode === 404;
}

/** The labels input (`[{label, value}]`) as Docker's label map. */
export function labelMap(labels: unknown): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of (labels as { label: string; value: string }[] | undefined) ?? []) {
    map[entry.label] = entry.value;
  }
  return map;
}

/** Docker's error text without dockerode's "(HTTP code …) … -" prefix noise. */
export function dockerMessage(error: unknown): string {
  const e = error as { json?: { message?: string }; message?: string };
  return e?.json?.message ?? e?.message ?? String(error);
}
