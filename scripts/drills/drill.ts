/**
 * What a drill is: a fault (or a check) run against a lab that is up, reporting what it did, what it
 * saw, its numbers and its verdict. The same functions back `npm run lab -- drill NAME` and the tests
 * in test/lab/drills.test.ts, so what users rehearse is what CI proves.
 */
import type { LabNaming } from "../../components/naming";
import { settingDefaults, type RawSettings } from "../../components/settings";
import type { RotationPhase } from "../caRotation";
import type { LabOutputValues } from "../labOutputs";
import type { SettingChanges } from "../stackSettings";

/** The lab a drill runs against: its names, where HAProxy's stats are, and a way to run `up` again. */
export interface DrillLab {
  stackName: string;
  naming: LabNaming;
  /** The bundle folder in air-gapped mode (scripts/labMode.ts). */
  bundleDir?: string;
  /** HAProxy's stats page on the host (`…/stats`). */
  statsUrl: string;
  aggregators: string[];
  agents: string[];
  /** The demo app beside each agent: `agent → demo app`. */
  demoAppOfAgent: Record<string, string>;
  /** `up` with a refresh first (so it sees what changed behind Pulumi's back); its resource changes. */
  up(): Promise<Record<string, number>>;
  /** Settings changed in the stack file, then `up` (rolled); its resource changes. */
  configure(changes: SettingChanges): Promise<Record<string, number>>;
  /** The stack's settings as the program gets them. */
  settings(): RawSettings;
  /** `npm run lab -- rotate-ca` in this process: its phases and how long each took. */
  rotateCa(): Promise<Array<{ phase: RotationPhase; seconds: number; rolled: number }>>;
  /** The stack's outputs now, secrets included (the host agent's key). */
  outputs(): Promise<LabOutputValues>;
  /** The stack's private keys, decrypted from its state, by resource name (stateSecrets.ts). */
  privateKeys(): Promise<Map<string, string>>;
  /**
   * A preview with these settings changed, not written to the stack file: the refusal's message, or
   * undefined when the settings were accepted. Creates nothing either way.
   */
  previewWith(changes: SettingChanges): Promise<string | undefined>;
  /** The lab command's argv (without `--stack`), to run it as a separate process group a drill can kill. */
  commandLine(...args: string[]): { command: string; args: string[] };
  /** Names of the Docker objects of the stack that the state does not record (orphans). */
  orphans(): Promise<string[]>;
}

export interface DrillResult {
  /** What the drill did, in order. */
  did: string[];
  /** What it observed. */
  saw: string[];
  /** Its measurements, named with their unit (e.g. outageMs, lostEvents, duplicateEvents). */
  numbers: Record<string, number>;
  /** Why it failed; empty when it passed. */
  problems: string[];
}

export interface Drill {
  name: string;
  /** "check": runs no fault and counts no events (security, bad input). Default: a fault under load. */
  kind?: "check";
  /** One line: the fault and what must hold. */
  summary: string;
  run(lab: DrillLab, progress: (line: string) => void): Promise<DrillResult>;
}

/** The report a person reads: what it did, what it saw, its numbers and the verdict, last. */
export function formatDrillReport(drill: Drill, result: DrillResult): string {
  const numbers = Object.entries(result.numbers).map(([name, value]) => `  ${name}: ${value}`);
  return [
    `Drill ${drill.name}: ${drill.summary}`,
    "Did:",
    ...result.did.map((line) => `  - ${line}`),
    "Saw:",
    ...result.saw.map((line) => `  - ${line}`),
    "Numbers:",
    ...numbers,
    result.problems.length === 0
      ? "Verdict: PASS"
      : `Verdict: FAIL\n${result.problems.map((p) => `  - ${p}`).join("\n")}`,
  ].join("\n");
}

/** What a process on this host dials for the lab's published ports (0.0.0.0 is every address). */
export function dialAddressOf(lab: DrillLab): string {
  const bind = lab.settings().hostBindAddress ?? settingDefaults.hostBindAddress;
  return bind === "0.0.0.0" ? "127.0.0.1" : bind;
}

/** The port of a published endpoint (`localhost:19093`, `https://localhost:19094/`). */
export function publishedPort(endpoint: string): number {
  return Number(/:(\d+)\/?$/.exec(endpoint)?.[1]);
}

/** Waits until `probe` gives a value (polling every `everyMs`), or throws naming what it waited for. */
export async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
  everyMs = 250,
): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
