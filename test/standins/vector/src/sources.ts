/**
 * Sources that produce events themselves: `demo_logs`, `host_metrics`, `internal_metrics`. The network
 * sources (`vector`, `prometheus_remote_write`) are in receivers.ts, the `file` source in fileSource.ts.
 */
import * as os from "os";
import { setTimeout as delay } from "timers/promises";
import type { DemoLogsConfig, HostMetricsConfig } from "./config";
import { hostName, metricEvent, type Event } from "./events";
import { internalMetrics } from "./internalMetrics";
import { describeError, log } from "./log";
import type { Component, Pipeline } from "./pipeline";

/** Runs `tick` now and then every `intervalSecs` (no drift, no catch-up burst) until stopped. */
abstract class Ticker implements Component {
  private readonly abort = new AbortController();

  constructor(
    protected readonly id: string,
    private readonly intervalSecs: number,
  ) {}

  protected abstract tick(): Promise<void>;

  async start(): Promise<void> {
    void this.run();
  }

  private async run(): Promise<void> {
    let next = Date.now();
    while (!this.abort.signal.aborted) {
      try {
        await this.tick();
      } catch (error) {
        if (this.abort.signal.aborted) break;
        log.error(`${this.id}: ${describeError(error)}`);
      }
      next = Math.max(next + this.intervalSecs * 1000, Date.now());
      try {
        await delay(next - Date.now(), undefined, { signal: this.abort.signal });
      } catch {
        break; // aborted
      }
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    // A tick blocked on a full buffer ends when the buffers close; do not wait for it here.
  }
}

/**
 * `demo_logs` with `format: shuffle`: each event's `message` is a random one of `lines`, prefixed with
 * `<n> ` when `sequence` is true; fields as Vector's (`message`, `timestamp`, `host`, `service:
 * vector`, `source_type: demo_logs`). As in Vector, the sequence starts at 0 on every start, and the
 * source keeps no state (nothing in data_dir).
 */
export class DemoLogs extends Ticker {
  private next = 0;

  constructor(
    id: string,
    private readonly config: DemoLogsConfig,
    private readonly pipeline: Pipeline,
  ) {
    super(id, config.interval ?? 1);
  }

  protected async tick(): Promise<void> {
    const lines = this.config.lines;
    const line = lines[Math.floor(Math.random() * lines.length)];
    const event: Event = {
      log: {
        message: this.config.sequence ? `${this.next} ${line}` : line,
        timestamp: new Date().toISOString(),
        host: hostName,
        service: "vector",
        source_type: "demo_logs",
      },
    };
    // Throws if a sink closed without taking the event: then the number is not used up.
    await this.pipeline.emit(this.id, [event]);
    this.next += 1;
  }
}

/**
 * `host_metrics`: a small subset of Vector's collectors, from Node's `os` module: load averages,
 * memory, uptime and CPU seconds, named as Vector names them (namespace `host`).
 */
export class HostMetrics extends Ticker {
  constructor(
    id: string,
    config: HostMetricsConfig,
    private readonly pipeline: Pipeline,
  ) {
    super(id, config.scrape_interval_secs ?? 15);
  }

  protected async tick(): Promise<void> {
    const tags = (collector: string, extra: Record<string, string> = {}) => ({
      collector,
      host: hostName,
      ...extra,
    });
    const [load1, load5, load15] = os.loadavg();
    const events = [
      metricEvent("host_load1", "gauge", load1, tags("load")),
      metricEvent("host_load5", "gauge", load5, tags("load")),
      metricEvent("host_load15", "gauge", load15, tags("load")),
      metricEvent("host_memory_total_bytes", "gauge", os.totalmem(), tags("memory")),
      metricEvent("host_memory_free_bytes", "gauge", os.freemem(), tags("memory")),
      metricEvent("host_uptime", "gauge", os.uptime(), tags("host")),
    ];
    os.cpus().forEach((cpu, index) => {
      for (const [mode, ms] of Object.entries(cpu.times)) {
        events.push(
          metricEvent(
            "host_cpu_seconds_total",
            "counter",
            ms / 1000,
            tags("cpu", { cpu: String(index), mode }),
          ),
        );
      }
    });
    await this.pipeline.emit(this.id, events);
  }
}

/**
 * `internal_metrics`: every second (Vector's default scrape interval) the stand-in's own counters
 * (internalMetrics.ts) as metric events, namespace `vector`, tagged with the host name.
 */
export class InternalMetrics extends Ticker {
  constructor(
    id: string,
    private readonly pipeline: Pipeline,
  ) {
    super(id, 1);
  }

  protected async tick(): Promise<void> {
    const events = internalMetrics
      .snapshot()
      .map((item) =>
        metricEvent(`vector_${item.name}`, item.type, item.value, { ...item.tags, host: hostName }),
      );
    await this.pipeline.emit(this.id, events);
  }
}
