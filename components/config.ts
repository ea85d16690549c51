/**
 * Reads the lab's settings from the running Pulumi program's stack config: the only module that
 * touches `pulumi.Config`. Validation is the pure parser's (settings.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { projectName } from "./constants";
import { LabConfigError, parseLabConfig, type LabConfig, type RawSettings } from "./settings";

/**
 * Every key of the lab's namespace in the running program's stack config, as strings: a typo
 * (`aggregator`) is there too, so the parser reports it instead of silently ignoring it.
 */
export function readRawSettings(): RawSettings & Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(`${projectName}:`)) raw[key.slice(projectName.length + 1)] = value;
  }
  return raw;
}

/**
 * Reads the stack config of the running Pulumi program. A bad value ends the program before any
 * resource is declared, with a `RunError`: Pulumi prints its message alone, no stack trace.
 */
export function readLabConfig(raw: RawSettings = readRawSettings()): LabConfig {
  try {
    return parseLabConfig(raw);
  } catch (error) {
    if (error instanceof LabConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
}
