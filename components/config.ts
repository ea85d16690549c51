/**
 * Reads the lab's settings from the running Pulumi program's stack config: the only module that
 * touches `pulumi.Config`. Validation is the pure parser's (settings.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { projectName } from "./constants";
import { LabConfigError, parseLabConfig, settingNames, type LabConfig, type RawSettings } from "./settings";

/**
 * Reads the stack config of the running Pulumi program. A bad value ends the program before any
 * resource is declared, with a `RunError`: Pulumi prints its message alone, no stack trace.
 */
export function readLabConfig(): LabConfig {
  const stackConfig = new pulumi.Config(projectName);
  const raw: RawSettings = {};
  for (const name of settingNames) {
    const value = stackConfig.get(name);
    if (value !== undefined) raw[name] = value;
  }
  try {
    return parseLabConfig(raw);
  } catch (error) {
    if (error instanceof LabConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
}
