/**
 * The one settings path of the lab command: Pulumi.<stack>.yaml in the repository root, read and
 * written with its comments kept, and validated by the program's own parser before the engine starts.
 */
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { projectName } from "../components/constants";
import { parseLabConfig, type RawSettings, type SettingName } from "../components/settings";
import type { LabMode } from "./labMode";

const repoRoot = path.resolve(__dirname, "..");

/** Changes to the settings file: a value sets a setting, undefined removes it (back to its default). */
export type SettingChanges = Partial<Record<SettingName, string | undefined>>;

/** The stack's settings file, in the repository root. */
export const stackFile = (stackName: string): string => path.join(repoRoot, `Pulumi.${stackName}.yaml`);

/**
 * The stack's settings as the program will get them (Pulumi.<stack>.yaml, the mode's overrides, then
 * `changes`), validated: a bad value is one message naming it, and nothing is created.
 */
export function stackSettings(stackName: string, mode: LabMode, changes: SettingChanges = {}): RawSettings {
  const file = stackFile(stackName);
  const fromFile = fs.existsSync(file)
    ? ((parseDocument(fs.readFileSync(file, "utf8")).toJS()?.config ?? {}) as Record<string, unknown>)
    : {};
  const settings: RawSettings = {};
  for (const [key, value] of Object.entries(fromFile)) {
    settings[key.replace(`${projectName}:`, "") as SettingName] = String(value);
  }
  for (const [key, value] of Object.entries(mode.configOverrides) as [SettingName, string][]) {
    if (settings[key] !== undefined && settings[key] !== value) {
      console.log(`Note: ${key} is ${settings[key]} in ${path.basename(file)}; this mode uses ${value}.`);
    }
    settings[key] = value;
  }
  for (const [key, value] of Object.entries(changes) as [SettingName, string | undefined][]) {
    if (value === undefined) delete settings[key];
    else settings[key] = value;
  }
  parseLabConfig(settings);
  return settings;
}

/** Writes `changes` into Pulumi.<stack>.yaml, keeping its comments, and says what it set. */
export function writeStackSettings(stackName: string, changes: SettingChanges): void {
  const file = stackFile(stackName);
  const document = parseDocument(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "config: {}\n");
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) document.deleteIn(["config", `${projectName}:${key}`]);
    else document.setIn(["config", `${projectName}:${key}`], /^\d+$/.test(value) ? Number(value) : value);
  }
  fs.writeFileSync(file, document.toString());
  const said = Object.entries(changes).map(([key, value]) =>
    value === undefined ? `removed ${key} (its default applies)` : `set ${key} to ${value}`,
  );
  console.log(`In ${path.basename(file)}: ${said.join(", ")}.`);
}
