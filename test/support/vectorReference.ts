/**
 * Validates a Vector config object against Vector 0.57's own reference, kept as data in
 * test/fixtures/vector-reference/ (see its README): unknown options, wrong types, enum values outside
 * the allowed set, missing required options, and options that only apply under a condition that does
 * not hold are all reported, each with its path.
 */
import * as fs from "fs";
import * as path from "path";

interface OptionSpec {
  type: string | string[];
  required: boolean;
  values?: string[];
  relevant_when?: string;
  deprecated?: boolean;
  options?: Record<string, OptionSpec>;
  items?: string[];
  item_options?: Record<string, OptionSpec>;
}

interface Reference {
  vector_version: string;
  global: { options: Record<string, OptionSpec> };
  sources: Record<string, { options: Record<string, OptionSpec> }>;
  sinks: Record<string, { options: Record<string, OptionSpec> }>;
}

export const vectorReference: Reference = JSON.parse(
  fs.readFileSync(path.join(__dirname, "../fixtures/vector-reference/vector-config-reference.json"), "utf8"),
);

/** Evaluates `key = "value"` conditions joined by `or` / `and` against the sibling options. */
function conditionHolds(condition: string, siblings: Record<string, unknown>): boolean {
  const test = (clause: string): boolean => {
    const match = /^\s*(\w+)\s*=\s*"([^"]*)"\s*$/.exec(clause);
    if (!match) throw new Error(`unsupported relevant_when condition: ${condition}`);
    return siblings[match[1]] === match[2];
  };
  if (condition.includes(" or ")) return condition.split(" or ").some(test);
  return condition.split(" and ").every(test);
}

function typeMatches(type: string, value: unknown, spec: OptionSpec): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "bool":
      return typeof value === "boolean";
    case "uint":
      return Number.isInteger(value) && (value as number) >= 0;
    case "int":
      return Number.isInteger(value);
    case "float":
      return typeof value === "number";
    case "enum":
      return typeof value === "string" && (spec.values ?? []).includes(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "array":
      return Array.isArray(value);
    default:
      throw new Error(`unsupported option type in the reference: ${type}`);
  }
}

function checkValue(where: string, value: unknown, spec: OptionSpec, problems: string[]): void {
  const types = Array.isArray(spec.type) ? spec.type : [spec.type];
  const matched = types.find((type) => typeMatches(type, value, spec));
  if (matched === undefined) {
    const allowed = spec.values ? `${types.join(" or ")} (${spec.values.join(", ")})` : types.join(" or ");
    problems.push(`${where}: ${JSON.stringify(value)} is not a ${allowed}`);
    return;
  }
  if (matched === "object" && spec.options) {
    checkOptions(where, value as Record<string, unknown>, spec.options, problems);
  }
  if (matched === "array") {
    (value as unknown[]).forEach((item, i) => {
      const itemWhere = `${where}[${i}]`;
      if (spec.item_options) {
        checkValue(itemWhere, item, { type: "object", required: true, options: spec.item_options }, problems);
      } else if (spec.items) {
        checkValue(itemWhere, item, { type: spec.items, required: true }, problems);
      }
    });
  }
}

function checkOptions(
  where: string,
  values: Record<string, unknown>,
  options: Record<string, OptionSpec>,
  problems: string[],
): void {
  const wildcard = options["*"];
  for (const [key, value] of Object.entries(values)) {
    const spec = options[key] ?? wildcard;
    if (!spec) {
      problems.push(`${where}.${key}: unknown option`);
      continue;
    }
    if (spec.relevant_when && !conditionHolds(spec.relevant_when, values)) {
      problems.push(`${where}.${key}: only applies when ${spec.relevant_when}`);
      continue;
    }
    checkValue(`${where}.${key}`, value, spec, problems);
  }
  for (const [key, spec] of Object.entries(options)) {
    if (key === "*" || !spec.required || key in values) continue;
    if (spec.relevant_when && !conditionHolds(spec.relevant_when, values)) continue;
    problems.push(`${where}.${key}: required option missing`);
  }
}

/** Returns every problem in a Vector config (an empty list means it conforms to the reference). */
export function vectorConfigProblems(config: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const {
    sources = {},
    sinks = {},
    ...topLevel
  } = config as {
    sources?: Record<string, Record<string, unknown>>;
    sinks?: Record<string, Record<string, unknown>>;
  };
  const globalOptions = { ...vectorReference.global.options };
  delete globalOptions.sources;
  delete globalOptions.sinks;
  checkOptions("(top level)", topLevel, globalOptions, problems);

  const componentIds = new Set([...Object.keys(sources)]);
  const kinds = [
    ["sources", sources, vectorReference.sources],
    ["sinks", sinks, vectorReference.sinks],
  ] as const;
  for (const [kind, components, reference] of kinds) {
    for (const [id, { type, ...options }] of Object.entries(components)) {
      const where = `${kind}.${id}`;
      const componentReference = typeof type === "string" ? reference[type] : undefined;
      if (!componentReference) {
        problems.push(`${where}.type: ${JSON.stringify(type)} is not a known ${kind.slice(0, -1)} type`);
        continue;
      }
      checkOptions(where, options, componentReference.options, problems);
      for (const input of (options.inputs as unknown[] | undefined) ?? []) {
        if (!componentIds.has(String(input))) problems.push(`${where}.inputs: no source named ${input}`);
      }
    }
  }
  return problems;
}

/** Options whose value is a file or directory path inside the container running the config. */
const pathOptions = new Set(["ca_file", "crt_file", "key_file", "data_dir", "path", "include"]);

/** Every file path a config names (`ca_file`, `crt_file`, `key_file`, `data_dir`, sink `path`s, file source `include`s). */
export function pathsNamedBy(config: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === "object" && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        if (pathOptions.has(key) && typeof child === "string") found.push(child);
        else if (pathOptions.has(key) && Array.isArray(child)) found.push(...child.map(String));
        else walk(child);
      }
    }
  };
  walk(config);
  return found;
}
