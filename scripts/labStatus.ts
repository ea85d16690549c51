/**
 * What `npm run lab -- status` shows: the lab's containers as Docker sees them, and each backend
 * server as HAProxy sees it, matched to its aggregator by address.
 */
import { execFileSync } from "child_process";
import { labelKeys } from "../components/constants";
import { docker } from "./dockerCli";
import {
  parseBackendServers,
  parseServerChecks,
  type BackendServerStats,
  type ServerCheckStats,
} from "./haproxyStats";

export interface LabContainer {
  name: string;
  role: string;
  state: string;
  /** healthy, unhealthy, starting, or "-" for a container without a health check. */
  health: string;
  /** IPv4 address on each network the container is on. */
  addresses: string[];
}

/** Docker CLI `--filter` arguments selecting the objects that carry the stack's labels. */
export function stackLabelFilters(project: string, stack: string): string[] {
  return [
    "--filter",
    `label=${labelKeys.project}=${project}`,
    "--filter",
    `label=${labelKeys.stack}=${stack}`,
  ];
}

/** The stack's containers (by label), from `docker inspect`. */
export function labContainers(project: string, stack: string): LabContainer[] {
  const ids = execFileSync("docker", ["ps", "-aq", ...stackLabelFilters(project, stack)], {
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean);
  if (ids.length === 0) return [];
  const inspected = JSON.parse(execFileSync("docker", ["inspect", ...ids], { encoding: "utf8" })) as {
    Name: string;
    Config: { Labels: Record<string, string> };
    State: { Status: string; Health?: { Status: string } };
    NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
  }[];
  return inspected
    .map((c) => ({
      name: c.Name.replace(/^\//, ""),
      role: c.Config.Labels[labelKeys.role] ?? "?",
      state: c.State.Status,
      health: c.State.Health?.Status ?? "-",
      addresses: Object.values(c.NetworkSettings.Networks).map((n) => n.IPAddress),
    }))
    .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
}

/** Names of every Docker object carrying the stack's labels: what `down` must leave empty. */
export function stackDockerObjects(project: string, stack: string): Record<string, string[]> {
  const filters = stackLabelFilters(project, stack);
  const list = (...args: string[]): string[] =>
    execFileSync("docker", [...args, ...filters], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
  return {
    containers: list("ps", "-a", "--format", "{{.Names}}"),
    networks: list("network", "ls", "--format", "{{.Name}}"),
    volumes: list("volume", "ls", "--format", "{{.Name}}"),
    images: list("images", "--format", "{{.Repository}}:{{.Tag}}"),
  };
}

/** HAProxy's server rows, from the stats endpoint (`<statsUrl>;csv`). */
export async function balancerServers(statsUrl: string, timeoutMs = 5000): Promise<BackendServerStats[]> {
  return parseBackendServers(await statsCsv(statsUrl, timeoutMs));
}

/** Each server's health-check counters, from the same endpoint. */
export async function balancerServerChecks(statsUrl: string, timeoutMs = 5000): Promise<ServerCheckStats[]> {
  return parseServerChecks(await statsCsv(statsUrl, timeoutMs));
}

/** The stats endpoint's CSV (`<statsUrl>;csv`). */
async function statsCsv(statsUrl: string, timeoutMs: number): Promise<string> {
  // A timer that holds the process: AbortSignal.timeout's does not, and a request to an HAProxy that
  // died mid-answer can hold nothing else, so Node would exit (status 0) with the drill half done.
  const abort = new AbortController();
  const timer = setTimeout(
    () => abort.abort(new Error(`${statsUrl};csv: no answer within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    const response = await fetch(`${statsUrl};csv`, { signal: abort.signal });
    if (!response.ok) throw new Error(`${statsUrl};csv answered HTTP ${response.status}`);
    return await response.text();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Of these containers, those HAProxy has UP in every backend (matched on their addresses). A short
 * default timeout: callers poll, and a hung stats request must not stall them.
 */
export async function upInEveryBackend(
  statsUrl: string,
  containers: string[],
  timeoutMs = 1000,
): Promise<string[]> {
  const servers = await balancerServers(statsUrl, timeoutMs).catch(() => []);
  const backends = new Set(servers.map((s) => s.backend));
  const up: string[] = [];
  for (const name of containers) {
    let address: string;
    try {
      address = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name);
    } catch {
      continue; // gone or not running
    }
    const rows = servers.filter((s) => s.address.split(":")[0] === address && s.status.startsWith("UP"));
    if (address && backends.size > 0 && new Set(rows.map((r) => r.backend)).size === backends.size)
      up.push(name);
  }
  return up;
}

/** Fixed-width text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function formatStatus(containers: LabContainer[], servers: BackendServerStats[] | Error): string {
  const containerTable = table(
    ["CONTAINER", "ROLE", "STATE", "HEALTH"],
    containers.map((c) => [c.name, c.role, c.state, c.health]),
  );
  if (servers instanceof Error) return `${containerTable}\n\nHAProxy stats unavailable: ${servers.message}`;
  const byAddress = new Map(containers.flatMap((c) => c.addresses.map((a) => [a, c.name] as const)));
  const serverTable = table(
    ["BACKEND", "SLOT", "AGGREGATOR", "STATUS", "SESSIONS NOW", "SESSIONS TOTAL", "BYTES IN", "BYTES OUT"],
    servers.map((s) => [
      s.backend,
      s.server,
      byAddress.get(s.address.split(":")[0]) ?? s.address,
      s.status,
      String(s.currentSessions),
      String(s.totalSessions),
      String(s.bytesIn),
      String(s.bytesOut),
    ]),
  );
  return `${containerTable}\n\nHAProxy's view of the aggregators:\n${serverTable}`;
}
