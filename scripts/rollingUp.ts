/**
 * `up` that rolls: when the plan replaces more than one running container (renewed or rotated
 * certificates, a changed vector.yaml), Pulumi would replace them all at once, and every aggregator
 * would be gone together. Instead everything else is applied first (new certificates, a wider trust
 * bundle), then each container is replaced on its own (`target`), and the next waits until the last
 * is ready: an aggregator UP in every HAProxy backend, an agent running. Aggregators go first, then
 * the balancer, then agents and the rest. Last, what the program no longer declares (an old CA, old
 * certificates) is deleted, once no container depends on it.
 */
import type { Stack, UpResult } from "@pulumi/pulumi/automation";
import { labelKeys } from "../components/constants";
import { containerRunning, docker } from "./dockerCli";
import { balancerServers } from "./labStatus";

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
const rollOrder = ["aggregator", "haproxy", "agent"];

/** The containers a plan replaces (not creates or deletes), in the order they should roll. */
export function plannedContainerReplacements(steps: StepMetadata[]): PlannedReplacement[] {
  const byUrn = new Map<string, PlannedReplacement>();
  for (const step of steps) {
    if (step.type !== containerType || step.op !== "replace") continue;
    const inputs = step.old?.inputs ?? step.new?.inputs ?? {};
    const labels = (inputs.labels ?? []) as Array<{ label: string; value: string }>;
    byUrn.set(step.urn, {
      urn: step.urn,
      name: String(inputs.name ?? step.urn.split("::").pop()),
      role: labels.find((l) => l.label === labelKeys.role)?.value ?? "",
    });
  }
  const rank = (role: string): number => {
    const at = rollOrder.indexOf(role);
    return at < 0 ? rollOrder.length : at;
  };
  return [...byUrn.values()].sort(
    (a, b) => rank(a.role) - rank(b.role) || a.name.localeCompare(b.name, undefined, { numeric: true }),
  );
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
  /** How long one container may take to be ready before the roll stops. */
  readyTimeoutMs?: number;
}

export interface RollingUpResult {
  /** The last `up`'s result: the stack's outputs. */
  result: UpResult;
  /** What every `up` of the roll changed, added up (`same` left out: it would count twice). */
  changes: Record<string, number>;
  /** Containers replaced one at a time, in order, with how long each took until ready. */
  rolled: Array<{ name: string; seconds: number }>;
}

export async function rollingUp(stack: Stack, options: RollingUpOptions): Promise<RollingUpResult> {
  const steps: StepMetadata[] = [];
  const common = { onOutput: options.onOutput, color: "never" as const };
  const plain = async (): Promise<RollingUpResult> => {
    const result = await stack.up({ ...common, refresh: true, replace: options.replace });
    return { result, changes: result.summary.resourceChanges ?? {}, rolled: [] };
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
      },
    });
  } catch {
    // No plan (a refused setting, a host check): the plain `up` fails the same way and shows why.
    return plain();
  }
  const replacements = plannedContainerReplacements(steps);
  if (replacements.length <= 1) return plain();
  options.log(
    `${replacements.length} containers to replace; rolling them one at a time: ` +
      replacements.map((r) => r.name).join(", "),
  );
  // Everything but the containers to roll, and nothing deleted yet: `target` cannot name what is
  // still to be created, and an `exclude`d container's dependency deleted under it broke the state's
  // integrity ("dependency ... comes after it", CLI 3.248.0). Deletes come last, when nothing uses them.
  const rolledUrns = replacements.map((r) => r.urn);
  const deletes = [...new Set(steps.filter((step) => step.op === "delete").map((step) => step.urn))];
  let result = await stack.up({
    ...common,
    refresh: true,
    exclude: [...rolledUrns, ...deletes],
    replace: options.replace.filter((urn) => !rolledUrns.includes(urn)),
  });
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
  // What the program no longer declares (an old CA, old certificates), now that no container uses it.
  const planned = new Set(deletes);
  const deployment = await stack.exportStack();
  const left = ((deployment.deployment?.resources ?? []) as Array<{ urn: string }>)
    .map((r) => r.urn)
    .filter((urn) => planned.has(urn));
  if (left.length > 0) {
    options.log(`removing ${left.length} resources the program no longer declares`);
    result = await stack.up({ ...common, target: left });
    count(result);
  }
  return { result, changes, rolled };
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
  const address = docker(
    "inspect",
    "-f",
    "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
    container.name,
  ).split(" ")[0];
  const servers = await balancerServers(statsUrl, 1000).catch(() => []);
  const backends = new Set(servers.map((s) => s.backend));
  const upIn = new Set(
    servers
      .filter((s) => s.address.split(":")[0] === address && s.status.startsWith("UP"))
      .map((s) => s.backend),
  );
  return backends.size > 0 && upIn.size === backends.size
    ? "ready"
    : `UP in ${upIn.size} of ${backends.size} HAProxy backends`;
}
