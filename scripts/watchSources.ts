/**
 * Takes one `watch` snapshot of a running lab: its containers from Docker, each aggregator's status
 * from HAProxy's stats CSV, and Vector's own counters from each aggregator's `prometheus_exporter`.
 * The exporter's port is not published: the host reads it at the container's address on the lab's
 * bridge network, which a Linux host reaches directly (no `docker exec`, cheap enough every second).
 */
import { aggregatorPorts } from "../components/constants";
import type { BackendServerStats } from "./haproxyStats";
import { balancerServers, labContainers, type LabContainer } from "./labStatus";
import { parsePrometheusText } from "./prometheusText";
import { agentReadings, aggregatorReceived, isWatchedMetric, type ExporterScrape } from "./vectorMetrics";
import type { WatchSnapshot } from "./watchView";

export interface WatchTarget {
  project: string;
  stack: string;
  /** HAProxy's stats page, as the stack published it. */
  statsUrl: string;
}

/**
 * Each read must answer within this, so a hung HAProxy or aggregator cannot stall the view for long
 * (a paused one is not read at all). Not less: an exporter serves about 2,000 lines, which on a busy
 * machine (benchmarks running) took over 0.8 s here.
 */
const readTimeoutMs = 1500;

async function fetchText(url: string): Promise<string> {
  const abort = new AbortController();
  const timer = setTimeout(
    () => abort.abort(new Error(`no answer within ${readTimeoutMs} ms`)),
    readTimeoutMs,
  );
  try {
    const response = await fetch(url, { signal: abort.signal });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.text();
  } finally {
    clearTimeout(timer);
  }
}

/** The URL of an aggregator's exporter, at its first network address; undefined while it has none (stopped). */
export function exporterUrl(container: LabContainer): string | undefined {
  const address = container.addresses.find((a) => a !== "");
  return address ? `http://${address}:${aggregatorPorts.metricsExporter}/metrics` : undefined;
}

async function scrapeExporter(url: string): Promise<ExporterScrape> {
  const text = await fetchText(url);
  return { samples: parsePrometheusText(text, isWatchedMetric), readAtMs: Date.now() };
}

/** Reason of a failed read, without a stack trace. */
const reason = (error: unknown): string => {
  const cause = (error as { cause?: { message?: string } }).cause?.message;
  return cause ? `${(error as Error).message} (${cause})` : (error as Error).message;
};

/**
 * A snapshot taker for one lab. It remembers each aggregator's last address: a stopped container has
 * none, while HAProxy still lists its slot at that address (DOWN) until Docker's DNS drops it.
 */
export function snapshotTaker(target: WatchTarget): () => Promise<WatchSnapshot> {
  const lastAddresses = new Map<string, string[]>();
  return async () => {
    const atMs = Date.now();
    const problems: string[] = [];
    const containers = labContainers(target.project, target.stack);
    const [servers, scrapes] = await Promise.all([
      balancerServers(target.statsUrl, readTimeoutMs).catch((error: unknown): BackendServerStats[] => {
        problems.push(`HAProxy stats unreadable (${target.statsUrl}): ${reason(error)}.`);
        return [];
      }),
      Promise.all(
        containers
          .filter((c) => c.role === "aggregator" && c.state === "running")
          .map(async (aggregator) => {
            const url = exporterUrl(aggregator);
            if (url === undefined) return [aggregator.name, undefined] as const;
            const scrape = await scrapeExporter(url).catch((error: unknown) => {
              problems.push(`${aggregator.name}'s metrics unreadable (${url}): ${reason(error)}.`);
              return undefined;
            });
            return [aggregator.name, scrape] as const;
          }),
      ),
    ]);
    return assembleSnapshot(
      { atMs, containers, servers, scrapes: new Map(scrapes), problems },
      lastAddresses,
    );
  };
}

export interface SnapshotParts {
  atMs: number;
  containers: LabContainer[];
  servers: BackendServerStats[];
  /** Each aggregator's exporter as read, by container name; absent or undefined: not read. */
  scrapes: Map<string, ExporterScrape | undefined>;
  problems: string[];
}

/**
 * The snapshot from what was read: HAProxy's rows matched to aggregators by address (the last one
 * an aggregator had, once stopped, unless another container holds it now), Vector's numbers to
 * their containers. Pure but for `lastAddresses`, which it keeps up to date.
 */
export function assembleSnapshot(parts: SnapshotParts, lastAddresses: Map<string, string[]>): WatchSnapshot {
  const { containers, servers, scrapes } = parts;
  const inUse = new Set(containers.flatMap((c) => c.addresses.filter(Boolean)));
  const answered = [...scrapes.values()].filter((s): s is ExporterScrape => s !== undefined);
  return {
    atMs: parts.atMs,
    backends: [...new Set(servers.map((s) => s.backend))],
    aggregators: containers
      .filter((c) => c.role === "aggregator")
      .map((aggregator) => {
        const current = aggregator.addresses.filter(Boolean);
        if (current.length > 0) lastAddresses.set(aggregator.name, current);
        const addresses = new Set(
          current.length > 0
            ? current
            : (lastAddresses.get(aggregator.name) ?? []).filter((a) => !inUse.has(a)),
        );
        const rows = servers.filter((s) => addresses.has(s.address.split(":")[0]));
        const scrape = scrapes.get(aggregator.name);
        return {
          name: aggregator.name,
          dockerState: aggregator.state,
          health: aggregator.health,
          balancerStatus: Object.fromEntries(rows.map((r) => [r.backend, r.status])),
          currentSessions: rows.reduce((sum, r) => sum + r.currentSessions, 0),
          receivedEvents: scrape ? aggregatorReceived(scrape, aggregator.name) : undefined,
        };
      }),
    agents: containers
      .filter((c) => c.role === "agent")
      .map((agent) => ({
        name: agent.name,
        dockerState: agent.state,
        health: agent.health,
        ...agentReadings(answered, agent.name),
      })),
    problems: parts.problems,
  };
}
