/**
 * Sinks that write locally: `file` (one JSON line per event, Vector's `json` codec: a log's fields, or
 * the metric) and `prometheus_exporter` (`GET /metrics` in Prometheus text format: the latest value of
 * every metric series its inputs delivered). The network sinks are in senders.ts.
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import type { ExporterSinkConfig, FileSinkConfig } from "./config";
import { listen } from "./listen";
import { isMetric, type Event, type Metric } from "./events";
import { componentTags, internalMetrics } from "./internalMetrics";
import { log } from "./log";
import type { Component, Sink } from "./pipeline";

export class FileSink implements Sink, Component {
  private readonly tags;

  constructor(
    private readonly id: string,
    private readonly config: FileSinkConfig,
  ) {
    this.tags = componentTags(id, "sink", "file");
  }

  async accept(events: Event[]): Promise<void> {
    internalMetrics.count("component_received_events_total", this.tags, events.length);
    const text = events
      .map((event) => JSON.stringify(isMetric(event) ? event.metric : event.log) + "\n")
      .join("");
    try {
      fs.appendFileSync(this.config.path, text);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      fs.mkdirSync(path.dirname(this.config.path), { recursive: true });
      fs.appendFileSync(this.config.path, text);
    }
    internalMetrics.count("component_sent_events_total", this.tags, events.length);
  }

  async start(): Promise<void> {
    fs.mkdirSync(path.dirname(this.config.path), { recursive: true });
    log.info(`${this.id}: writing to ${this.config.path}`);
  }

  async stop(): Promise<void> {
    // Every append is synchronous: nothing to flush.
  }
}

/** Prometheus names allow [a-zA-Z_:][a-zA-Z0-9_:]*; label values escape \ " and newlines. */
function metricName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_:]/g, "_");
  return /^[a-zA-Z_:]/.test(clean) ? clean : `_${clean}`;
}

function labels(tags: Record<string, string>): string {
  const parts = Object.keys(tags)
    .sort()
    .map((key) => {
      const value = String(tags[key]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
      return `${key.replace(/[^a-zA-Z0-9_]/g, "_")}="${value}"`;
    });
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

export class ExporterSink implements Sink, Component {
  private readonly series = new Map<string, Metric>();
  private readonly server: http.Server;
  private readonly tags;
  private readonly address: string;

  constructor(
    private readonly id: string,
    config: ExporterSinkConfig,
  ) {
    this.tags = componentTags(id, "sink", "prometheus_exporter");
    this.address = config.address ?? "0.0.0.0:9598";
    this.server = http.createServer((request, response) => {
      if (request.method === "GET" && (request.url ?? "").split("?")[0] === "/metrics") {
        response.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
        response.end(this.render());
      } else {
        response.writeHead(404, { "content-type": "text/plain" });
        response.end("only GET /metrics\n");
      }
    });
  }

  async accept(events: Event[]): Promise<void> {
    internalMetrics.count("component_received_events_total", this.tags, events.length);
    for (const event of events) {
      if (!isMetric(event)) continue;
      const metric = event.metric;
      this.series.set(`${metric.name}${labels(metric.tags)}`, metric);
    }
  }

  render(): string {
    const families = new Map<string, string[]>();
    const types = new Map<string, string>();
    for (const [, metric] of [...this.series.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const name = metricName(metric.name);
      const value = metric.counter?.value ?? metric.gauge?.value ?? 0;
      if (!families.has(name)) families.set(name, []);
      types.set(name, metric.counter ? "counter" : "gauge");
      families.get(name)?.push(`${name}${labels(metric.tags)} ${value}`);
    }
    return [...families.entries()]
      .map(([name, lines]) => `# TYPE ${name} ${types.get(name)}\n${lines.join("\n")}\n`)
      .join("");
  }

  start(): Promise<void> {
    return listen(this.server, this.address, `${this.id}: serving /metrics`);
  }

  async stop(): Promise<void> {
    this.server.close();
    this.server.closeAllConnections?.();
  }
}
