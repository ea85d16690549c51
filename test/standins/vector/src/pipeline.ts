/**
 * The wiring between components: each source hands its events to every sink whose `inputs` name it,
 * and waits until all of them have taken the events (a full buffer makes the source wait: back
 * pressure, never a drop). There are no transforms.
 */
import type { Event } from "./events";
import { componentTags, internalMetrics } from "./internalMetrics";

export interface Sink {
  /** Takes events; resolves once they are written or buffered. */
  accept(events: Event[]): Promise<void>;
}

/** Anything with something to stop: servers, timers, senders. */
export interface Component {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class Pipeline {
  private readonly readers = new Map<string, Array<{ id: string; sink: Sink }>>();

  constructor(private readonly sourceTypes: Record<string, string>) {}

  connect(sinkId: string, sink: Sink, inputs: string[]): void {
    for (const input of inputs) {
      const list = this.readers.get(input) ?? [];
      list.push({ id: sinkId, sink });
      this.readers.set(input, list);
    }
  }

  /** Hands a source's events to its sinks. */
  async emit(sourceId: string, events: Event[]): Promise<void> {
    if (events.length === 0) return;
    const tags = componentTags(sourceId, "source", this.sourceTypes[sourceId] ?? "unknown");
    internalMetrics.count("component_received_events_total", tags, events.length);
    await Promise.all((this.readers.get(sourceId) ?? []).map((reader) => reader.sink.accept(events)));
    internalMetrics.count("component_sent_events_total", tags, events.length);
  }
}
