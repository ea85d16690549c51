/**
 * Events as the stand-in carries them, shaped like Vector's native JSON encoding: a log is
 * `{"log": {...fields}}`, a metric `{"metric": {...}}`. The same shape goes over the wire (see
 * protocol.ts) and into disk buffers, one JSON document per line.
 */
import * as os from "os";

export interface LogEvent {
  log: Record<string, unknown>;
}

export interface Metric {
  /** Full name, namespace included (`host_load1`, `vector_component_sent_events_total`). */
  name: string;
  tags: Record<string, string>;
  timestamp: string;
  /** Always absolute values: a counter carries its running total. */
  kind: "absolute";
  counter?: { value: number };
  gauge?: { value: number };
}

export interface MetricEvent {
  metric: Metric;
}

export type Event = LogEvent | MetricEvent;

export function isMetric(event: Event): event is MetricEvent {
  return "metric" in event;
}

/** Checks one decoded event from the wire or a buffer file; returns undefined if it is not one. */
export function asEvent(value: unknown): Event | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.log === "object" && record.log !== null && !Array.isArray(record.log))
    return { log: record.log as Record<string, unknown> };
  const metric = record.metric as Partial<Metric> | undefined;
  if (
    typeof metric === "object" &&
    metric !== null &&
    typeof metric.name === "string" &&
    typeof metric.tags === "object" &&
    (typeof metric.counter?.value === "number" || typeof metric.gauge?.value === "number")
  )
    return { metric: metric as Metric };
  return undefined;
}

/** The host name Vector puts in `host`: the container's host name in the lab. */
export const hostName = os.hostname();

export function metricEvent(
  name: string,
  type: "counter" | "gauge",
  value: number,
  tags: Record<string, string>,
): MetricEvent {
  const metric: Metric = { name, tags, timestamp: new Date().toISOString(), kind: "absolute" };
  metric[type] = { value };
  return { metric };
}
