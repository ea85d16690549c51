/**
 * The numbers `watch` takes from Vector's own metrics, as the aggregators' `prometheus_exporter` serves
 * them: each aggregator's own `internal_metrics`, and every agent's, which agents remote-write through
 * the balancer to whichever aggregator HAProxy picks (components/vectorConfig.ts). Each series carries
 * a `host` label: the container's host name, which the lab sets to the container name. Pure, no I/O.
 */
import { componentIds } from "../components/vectorConfig";
import type { PrometheusSample } from "./prometheusText";
import type { Reading } from "./watchView";

/**
 * Names as Vector 0.57 exports them (https://vector.dev/docs/reference/configuration/sources/internal_metrics/).
 * 0.57 exports the buffer's size under these names and as `vector_buffer_size_events` and
 * `vector_buffer_size_bytes` alike; the stand-in Vector (test/standins/vector/) only under these.
 */
export const vectorMetricNames = {
  receivedEvents: "vector_component_received_events_total",
  sentEvents: "vector_component_sent_events_total",
  bufferEvents: "vector_buffer_events",
  bufferBytes: "vector_buffer_byte_size",
} as const;

/** Whether a metric is one `watch` reads: the parser skips the others' lines. */
export const isWatchedMetric = (name: string): boolean =>
  (Object.values(vectorMetricNames) as string[]).includes(name);

/** One exporter's answer: what it served and when it was read. */
export interface ExporterScrape {
  samples: PrometheusSample[];
  readAtMs: number;
}

/**
 * The sum of the series of one metric for one component of one host, as a reading (at its newest
 * sample's timestamp, or when the exporter was read); undefined when there is no such series.
 */
export function componentReading(
  scrape: ExporterScrape,
  metric: string,
  host: string,
  componentId: string,
): Reading | undefined {
  const series = scrape.samples.filter(
    (s) => s.name === metric && s.labels.component_id === componentId && s.labels.host === host,
  );
  if (series.length === 0) return undefined;
  const stamps = series.map((s) => s.timestampMs).filter((t): t is number => t !== undefined);
  return {
    value: series.reduce((sum, s) => sum + s.value, 0),
    atMs: stamps.length > 0 ? Math.max(...stamps) : scrape.readAtMs,
  };
}

/** Events an aggregator took from agents, from its own exporter. */
export function aggregatorReceived(scrape: ExporterScrape, aggregator: string): Reading | undefined {
  return componentReading(scrape, vectorMetricNames.receivedEvents, aggregator, componentIds.fromAgents);
}

export interface AgentReadings {
  sentEvents?: Reading;
  bufferedEvents?: Reading;
  bufferedBytes?: Reading;
}

/**
 * An agent's log-sink numbers from the freshest copy: each aggregator it has written to holds one
 * (until Vector expires it), so the one with the newest sample timestamp wins, or, without timestamps,
 * the one with the most events sent (counters only grow while the agent runs).
 */
export function agentReadings(scrapes: ExporterScrape[], agent: string): AgentReadings {
  const reading = (scrape: ExporterScrape, metric: string) =>
    componentReading(scrape, metric, agent, componentIds.toBalancer);
  let best: { readings: AgentReadings; rank: [number, number] } | undefined;
  for (const scrape of scrapes) {
    const readings: AgentReadings = {
      sentEvents: reading(scrape, vectorMetricNames.sentEvents),
      bufferedEvents: reading(scrape, vectorMetricNames.bufferEvents),
      bufferedBytes: reading(scrape, vectorMetricNames.bufferBytes),
    };
    if (Object.values(readings).every((r) => r === undefined)) continue;
    const stamps = scrape.samples
      .filter((s) => s.labels.host === agent && s.timestampMs !== undefined)
      .map((s) => s.timestampMs as number);
    const rank: [number, number] = [Math.max(-Infinity, ...stamps), readings.sentEvents?.value ?? -1];
    if (!best || rank[0] > best.rank[0] || (rank[0] === best.rank[0] && rank[1] > best.rank[1])) {
      best = { readings, rank };
    }
  }
  return best?.readings ?? {};
}
