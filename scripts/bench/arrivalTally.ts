/**
 * What arrived at the aggregators in one data-path run, and when. Each aggregator appends what it
 * receives to its file, one JSON event per line (components/vectorConfig.ts, receivedLogsPath). The
 * benchmark samples each file's size while agents send; a line arrived at the first sample whose size
 * reaches its end. Its delay is that arrival minus the timestamp the agent's `demo_logs` gave it (one
 * host, one clock). Pure.
 */
import { quantile } from "./stats";

/** One look at an aggregator's file: its size at a moment (ms since the epoch). */
export interface SizeSample {
  atMs: number;
  bytes: number;
}

export interface ReceivedEvent {
  agent: string;
  sequence: number;
  /** The event's timestamp, set by the agent's source, in ms since the epoch. */
  createdMs: number;
}

/**
 * `2026-11-26T19:51:09.598295552Z` in ms since the epoch, keeping the sub-millisecond digits
 * (Date.parse stops at milliseconds); undefined for anything else.
 */
export function eventTimeMs(iso: string): number | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}Z`);
  if (Number.isNaN(seconds)) return undefined;
  return seconds + Number(`0.${match[2] ?? "0"}`) * 1000;
}

/**
 * The agent, sequence number and timestamp of a received line; undefined for a line of another kind
 * (the lab's own agent ships its demo app's lines to the same files). Matched, not JSON-parsed: a run
 * reads a million lines, and Vector's JSON keeps these fields on one line, escaped, in any order.
 */
export function parseReceivedEvent(line: string): ReceivedEvent | undefined {
  const message = /"message":"(\d+) ([^" ]+) /.exec(line);
  const timestamp = /"timestamp":"([^"]+)"/.exec(line);
  if (!message || !timestamp) return undefined;
  const createdMs = eventTimeMs(timestamp[1]);
  if (createdMs === undefined) return undefined;
  return { agent: message[2], sequence: Number(message[1]), createdMs };
}

/**
 * When bytes up to an offset were first seen in a file: asked for offsets in increasing order (a file
 * read from start to end), it walks the samples once. Past the last sample: `endMs`, when the file was
 * read after the agents had finished.
 */
export class ArrivalClock {
  private next = 0;

  constructor(
    private readonly samples: SizeSample[],
    private readonly endMs: number,
  ) {}

  arrivalOf(endOffset: number): number {
    while (this.next < this.samples.length && this.samples[this.next].bytes < endOffset) this.next++;
    return this.next < this.samples.length ? this.samples[this.next].atMs : this.endMs;
  }
}

export interface RunArrivals {
  /** Events the agents were told to send. */
  sent: number;
  /** Distinct events that arrived (each agent's sequence numbers counted once). */
  arrived: number;
  /** Sent but never arrived. */
  lost: number;
  /** Extra copies of events that arrived more than once. */
  duplicates: number;
  /** Lines that named one of this run's agents with a sequence number it never sent. */
  unexpected: number;
  /** From the first arrival to the last, in seconds (0 when fewer than two sample times saw them). */
  spanSeconds: number;
  /** Distinct events per second over that span; undefined when the span is 0. */
  eventsPerSecond: number | undefined;
  /** Quantiles of arrival minus timestamp, in ms; undefined when nothing arrived. */
  delayP50Ms: number | undefined;
  delayP99Ms: number | undefined;
  /** Lines of this run's agents each aggregator received, duplicates included. */
  byAggregator: Record<string, number>;
}

/** Counts the lines of one run's agents, sequence by sequence, across every aggregator's file. */
export class ArrivalTally {
  private readonly seen = new Map<string, Uint8Array>();
  private readonly delays: number[] = [];
  private readonly byAggregator: Record<string, number> = {};
  private duplicates = 0;
  private unexpected = 0;
  private firstMs = Infinity;
  private lastMs = -Infinity;

  constructor(
    agents: string[],
    private readonly eventsPerAgent: number,
  ) {
    for (const agent of agents) this.seen.set(agent, new Uint8Array(eventsPerAgent));
  }

  /** A line that `aggregator` wrote, first seen in its file at `arrivedMs`; other agents' lines are skipped. */
  add(aggregator: string, line: string, arrivedMs: number): void {
    const event = parseReceivedEvent(line);
    const counts = event && this.seen.get(event.agent);
    if (!event || !counts) return;
    this.byAggregator[aggregator] = (this.byAggregator[aggregator] ?? 0) + 1;
    // demo_logs numbers its events from 0.
    if (!Number.isSafeInteger(event.sequence) || event.sequence >= this.eventsPerAgent) {
      this.unexpected++;
      return;
    }
    if (counts[event.sequence] > 0) {
      this.duplicates++;
      return;
    }
    counts[event.sequence] = 1;
    this.delays.push(arrivedMs - event.createdMs);
    this.firstMs = Math.min(this.firstMs, arrivedMs);
    this.lastMs = Math.max(this.lastMs, arrivedMs);
  }

  result(): RunArrivals {
    const sent = this.seen.size * this.eventsPerAgent;
    const arrived = this.delays.length;
    const spanSeconds = arrived > 0 ? (this.lastMs - this.firstMs) / 1000 : 0;
    return {
      sent,
      arrived,
      lost: sent - arrived,
      duplicates: this.duplicates,
      unexpected: this.unexpected,
      spanSeconds,
      eventsPerSecond: spanSeconds > 0 ? arrived / spanSeconds : undefined,
      delayP50Ms: arrived > 0 ? quantile(this.delays, 0.5) : undefined,
      delayP99Ms: arrived > 0 ? quantile(this.delays, 0.99) : undefined,
      byAggregator: { ...this.byAggregator },
    };
  }
}
