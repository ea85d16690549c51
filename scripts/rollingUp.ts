/**
 * `up` that rolls: when the plan replaces more than one running Vector container (renewed or rotated
 * certificates, a changed vector.yaml), Pulumi would replace them all at once, and every aggregator
 * would be gone together. Instead a first `up` applies everything with those containers held as they
 * run (the program's `heldContainers`: their changed inputs ignored, their dependencies moved to the
 * new resources, so an old CA can go), then each is replaced on its own (`target`), the next only once
 * the last is ready: an aggregator UP in every HAProxy backend, an agent running. Aggregators first.
 *
 * Why not `exclude`/`target` alone: with the CLI 3.248.0, a targeted `up` that keeps a resource the
 * program no longer declares (an old CA) while others still depend on it can write a state that fails
 * its integrity check ("dependency ... comes after it"). Holding leaves no such resource behind.
 */
import type { OutputMap, Stack, UpResult } from "@pulumi/pulumi/automation";
import { labelKeys } from "../components/constants";
import { containerRunning, docker } from "./dockerCli";
import { upInEveryBackend } from "./labStatus";

/** A container the plan replaces, as the preview names it. */
export interface PlannedReplacement {
  urn: string;
  /** Its Docker name. */
  name: string;
  /** Its role label (aggregator, haproxy, agent, demo-app). */
  role: string;
}

interface StepMetadata {
  op: string;
  urn: string;
  type: string;
  old?: { inputs?: Record<string, unknown> };
  new?: { inputs?: Record<string, unknown> };
}

const containerType = "docker:index/container:Container";
const stackType = "pulumi:pulumi:Stack";
/** Roles the program can hold (components/vectorContainer.ts), in the order they roll. */
const rollOrder = ["aggregator", "agent"];

/**
 * The Vector containers a plan replaces (not creates or deletes), in the order they should roll.
 * Others (HAProxy) are replaced with everything else, in the first `up`.
 */
export function plannedContainerReplacements(steps: StepMetadata[]): PlannedReplacement[] {
  const byUrn = new Map<string, PlannedReplacement>();
  for (const step of steps) {
    if (step.type !== containerType || step.op !== "replace") continue;
    const inputs = step.old?.inputs ?? step.new?.inputs ?? {};
    const labels = (inputs.labels ?? []) as Array<{ label: string; value: string }>;
    const role = labels.find((l) => l.label === labelKeys.role)?.value ?? "";
    if (!rollOrder.includes(role)) continue;
    byUrn.set(step.urn, {
      urn: step.urn,
      name: String(inputs.name ?? step.urn.split("::").pop()),
      role,
    });
  }
  return [...byUrn.values()].sort(
    (a, b) =>
      rollOrder.indexOf(a.role) - rollOrder.indexOf(b.role) ||
      a.name.localeCompare(b.name, undefined, { numeric: true }),
  );
}

/** Step kinds that change nothing: what a plan of a lab already as declared is made of. */
const unchangingOps = ["same", "refresh", "read"];

/** The plan's changes by kind (`create: 1`, `replace: 4`, ...); empty when it changes nothing. */
export function planChanges(steps: StepMetadata[]): Record<string, number> {
  const changes: Record<string, number> = {};
  for (const { op } of steps) if (!unchangingOps.includes(op)) changes[op] = (changes[op] ?? 0) + 1;
  return changes;
}

/**
 * Whether the outputs the program registers now differ from the stack's: a new version of the lab may
 * add or reshape an output with no resource changing. Secret values are masked in engine events
 * ("[secret]"), so only their presence is compared.
 */
export function outputsChanged(planned: Record<string, unknown>, current: OutputMap): boolean {
  const keys = new Set([...Object.keys(planned), ...Object.keys(current)]);
  for (const key of keys) {
    if (!(key in planned) || !(key in current)) return true;
    if (current[key].secret || planned[key] === "[secret]") continue;
    if (JSON.stringify(planned[key]) !== JSON.stringify(current[key].value)) return true;
  }
  return false;
}

export interface RollingUpOptions {
  /** The engine's output as it comes. */
  onOutput?: (text: string) => void;
  /** What the roll is doing, one line at a time. */
  log: (line: string) => void;
  /** URNs to replace even if unchanged (containers cut from their network). */
  replace: string[];
  /** HAProxy's stats page, from the host: how an aggregator is seen to be back in rotation. */
  statsUrl: () => Promise<string | undefined>;
  /** Tells the program which containers to hold (by Pulumi name) on the `up`s that follow. */
  hold: (names: string[]) => void;
  /** How long one container may take to be ready before the roll stops. */
  readyTimeoutMs?: number;
}

export interface RollingUpResult {
  /** The stack's outputs afterwards. */
  outputs: OutputMap;
  /** What every `up` of the roll changed, added up (`same` left out: it would count twice). */
  changes: Record<string, number>;
  /** Containers replaced one at a time, in order, with how long each took until ready. */
  rolled: Array<{ name: string; seconds: number }>;
}

export async function rollingUp(stack: Stack, options: RollingUpOptions): Promise<RollingUpResult> {
  const steps: StepMetadata[] = [];
  let plannedOutputs: Record<string, unknown> = {};
  const common = { onOutput: options.onOutput, color: "never" as const };
  const plain = async (): Promise<RollingUpResult> => {
    const result = await stack.up({ ...common, refresh: true, replace: options.replace });
    return { outputs: result.outputs, changes: result.summary.resourceChanges ?? {}, rolled: [] };
  };
  // Nothing running yet (a first `up`): nothing to roll, and no preview to pay for.
  const deployed = (await stack.exportStack()).deployment?.resources ?? [];
  if (!(deployed as Array<{ type: string }>).some((r) => r.type === containerType)) return plain();
  try {
    await stack.preview({
      refresh: true,
      replace: options.replace,
      onEvent: (event) => {
        if (event.resourcePreEvent) steps.push(event.resourcePreEvent.metadata as StepMetadata);
        // The stack's last outputs event carries what the program registers now.
        const outputs = event.resOutputsEvent?.metadata;
        if (outputs?.type === stackType && outputs.op !== "refresh")
          plannedOutputs = outputs.new?.outputs ?? {};
      },
    });
  } catch {
    // No plan (a refused setting, a host check): the plain `up` fails the same way and shows why.
    return plain();
  }
  // The preview refreshed too: a plan that changes nothing needs no second engine run (half a no-op's time).
  if (Object.keys(planChanges(steps)).length === 0) {
    const outputs = await stack.outputs();
    if (!outputsChanged(plannedOutputs, outputs)) {
      options.onOutput?.(
        "No changes: the preview (with refresh) found the lab as declared; nothing to update.\n",
      );
      return { outputs, changes: {}, rolled: [] };
    }
  }
  const replacements = plannedContainerReplacements(steps);
  if (replacements.length <= 1) return plain();
  options.log(
    `${replacements.length} containers to replace; rolling them one at a time: ` +
      replacements.map((r) => r.name).join(", "),
  );
  const urnName = (urn: string): string => urn.split("::").pop()!;
  options.hold(replacements.map((r) => urnName(r.urn)));
  let result: UpResult;
  try {
    const rolledUrns = replacements.map((r) => r.urn);
    result = await stack.up({
      ...common,
      refresh: true,
      replace: options.replace.filter((urn) => !rolledUrns.includes(urn)),
    });
  } finally {
    options.hold([]);
  }
  const changes: Record<string, number> = {};
  const count = (up: UpResult): void => {
    for (const [op, n] of Object.entries(up.summary.resourceChanges ?? {})) {
      if (op !== "same") changes[op] = (changes[op] ?? 0) + n;
    }
  };
  count(result);
  const rolled: RollingUpResult["rolled"] = [];
  for (const container of replacements) {
    const started = Date.now();
    options.log(`rolling ${container.name}`);
    result = await stack.up({
      ...common,
      target: [container.urn],
      replace: options.replace.includes(container.urn) ? [container.urn] : [],
    });
    count(result);
    await waitUntilReady(container, options);
    const seconds = (Date.now() - started) / 1000;
    options.log(`${container.name} is ready again after ${seconds.toFixed(1)} s`);
    rolled.push({ name: container.name, seconds });
  }
  return { outputs: result.outputs, changes, rolled };
}

/** An aggregator is ready once Docker's health check passes and every HAProxy backend has it UP. */
async function waitUntilReady(container: PlannedReplacement, options: RollingUpOptions): Promise<void> {
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  const statsUrl = container.role === "aggregator" ? await options.statsUrl() : undefined;
  let seen = "not checked yet";
  while (Date.now() < deadline) {
    seen = await readiness(container, statsUrl);
    if (seen === "ready") return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `rolling stopped: ${container.name} was not ready within ${(options.readyTimeoutMs ?? 60_000) / 1000} s ` +
      `(${seen}); the containers after it still run with what they had. Run up again once it is fixed.`,
  );
}

async function readiness(container: PlannedReplacement, statsUrl: string | undefined): Promise<string> {
  if (!containerRunning(container.name)) return "not running";
  if (container.role !== "aggregator") return "ready";
  const health = docker(
    "inspect",
    "-f",
    "{{if .State.Health}}{{.State.Health.Status}}{{end}}",
    container.name,
  );
  if (health !== "healthy") return `Docker health ${health || "none"}`;
  if (statsUrl === undefined) return "ready";
  return (await upInEveryBackend(statsUrl, [container.name])).length === 1
    ? "ready"
    : "not yet UP in every HAProxy backend";
}
