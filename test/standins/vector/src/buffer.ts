/**
 * Sink buffers. A sink's sender reads the oldest events (`peek`), sends them, and removes them only once
 * the receiver acknowledged them (`ack`). `when_full: block`: `push` waits while the buffer holds
 * `max_size` bytes or more, so sources stop producing; nothing is ever dropped.
 *
 * - memory: a queue in memory; lost on restart, as in Vector.
 * - disk: `<data_dir>/buffer/<sink id>/`, segment files `<n>.jsonl` (up to about 4 MiB each) with one
 *   event per line. New events are appended to the newest segment; the sender only reads sealed
 *   segments (the newest is sealed when full or when the sender has caught up). `<n>.acked` records how
 *   many events of segment n were acknowledged; a fully acknowledged segment is deleted. Writes are
 *   synchronous, so everything pushed is in the files when the process stops, and the buffer survives a
 *   restart (the data volume). Delivery is at least once: events sent but not yet recorded as
 *   acknowledged are sent again.
 */
import * as fs from "fs";
import * as path from "path";
import type { Event } from "./events";
import { describeError, log } from "./log";

export interface SinkBuffer {
  /** Adds events; waits while the buffer is full. Resolves false if the buffer closed meanwhile. */
  push(events: Event[]): Promise<boolean>;
  /** The oldest events, at most `max`, without removing them; waits for some; undefined once closed. */
  peek(max: number): Promise<Event[] | undefined>;
  /** Removes the `count` oldest events (the ones the last peek returned, or fewer). */
  ack(count: number): void;
  close(): void;
  /** Events and bytes held, for internal metrics. */
  size(): { events: number; bytes: number };
}

/** Promises waiting for a change; `wake` resolves all of them. */
class Waiters {
  private list: Array<() => void> = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.list.push(resolve));
  }
  wake(): void {
    const list = this.list;
    this.list = [];
    list.forEach((resolve) => resolve());
  }
}

export class MemoryBuffer implements SinkBuffer {
  private queue: Array<{ event: Event; bytes: number }> = [];
  private bytes = 0;
  private closed = false;
  private readonly changed = new Waiters();

  constructor(private readonly maxBytes: number) {}

  async push(events: Event[]): Promise<boolean> {
    while (!this.closed && this.bytes >= this.maxBytes) await this.changed.wait();
    if (this.closed) return false;
    for (const event of events) {
      const bytes = Buffer.byteLength(JSON.stringify(event));
      this.queue.push({ event, bytes });
      this.bytes += bytes;
    }
    this.changed.wake();
    return true;
  }

  async peek(max: number): Promise<Event[] | undefined> {
    while (!this.closed && this.queue.length === 0) await this.changed.wait();
    if (this.closed) return undefined;
    return this.queue.slice(0, max).map((item) => item.event);
  }

  ack(count: number): void {
    for (const item of this.queue.splice(0, count)) this.bytes -= item.bytes;
    this.changed.wake();
  }

  close(): void {
    this.closed = true;
    this.changed.wake();
  }

  size(): { events: number; bytes: number } {
    return { events: this.queue.length, bytes: this.bytes };
  }
}

interface Segment {
  number: number;
  bytes: number;
  /** Events in it; for a sealed segment known once loaded (or counted at start). */
  events: number;
}

const segmentPattern = /^(\d+)\.jsonl$/;
/** A segment being written is sealed at this size. */
const maxSegmentBytes = 4 * 1024 * 1024;

export class DiskBuffer implements SinkBuffer {
  private readonly sealed: Segment[] = [];
  private writing: Segment;
  /** The oldest sealed segment, loaded for sending. */
  private reading?: { segment: Segment; events: Event[]; acked: number };
  private closed = false;
  private readonly changed = new Waiters();

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly name: string,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    const numbers = fs
      .readdirSync(dir)
      .map((file) => segmentPattern.exec(file))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => Number(match[1]))
      .sort((a, b) => a - b);
    for (const number of numbers) {
      const text = fs.readFileSync(this.file(number), "utf8");
      const lines = text.split("\n").length - 1;
      this.sealed.push({ number, bytes: Buffer.byteLength(text), events: lines - this.readAcked(number) });
    }
    // Never append to a segment from before the restart: its last line may be partial.
    this.writing = { number: (numbers[numbers.length - 1] ?? 0) + 1, bytes: 0, events: 0 };
    const held = this.size();
    if (held.events > 0)
      log.info(`${this.name}: disk buffer ${dir} holds ${held.events} event(s) from before the restart`);
  }

  private file(number: number): string {
    return path.join(this.dir, `${String(number).padStart(10, "0")}.jsonl`);
  }

  private ackFile(number: number): string {
    return path.join(this.dir, `${String(number).padStart(10, "0")}.acked`);
  }

  private readAcked(number: number): number {
    try {
      const value = Number(fs.readFileSync(this.ackFile(number), "utf8").trim());
      return Number.isInteger(value) && value >= 0 ? value : 0;
    } catch {
      return 0;
    }
  }

  private totalBytes(): number {
    return this.sealed.reduce((sum, segment) => sum + segment.bytes, this.writing.bytes);
  }

  async push(events: Event[]): Promise<boolean> {
    while (!this.closed && this.totalBytes() >= this.maxBytes) await this.changed.wait();
    if (this.closed) return false;
    if (events.length === 0) return true;
    const text = events.map((event) => JSON.stringify(event) + "\n").join("");
    fs.appendFileSync(this.file(this.writing.number), text);
    this.writing.bytes += Buffer.byteLength(text);
    this.writing.events += events.length;
    // Bounded segments: the sender loads one segment at a time into memory.
    if (this.writing.bytes >= maxSegmentBytes) this.seal();
    this.changed.wake();
    return true;
  }

  /** Closes the segment being written; later events go to a new one. */
  private seal(): void {
    this.sealed.push(this.writing);
    this.writing = { number: this.writing.number + 1, bytes: 0, events: 0 };
  }

  /** Loads the oldest sealed segment, sealing the one being written if the sender has caught up. */
  private load(): boolean {
    if (this.sealed.length === 0 && this.writing.events > 0) this.seal();
    const segment = this.sealed[0];
    if (!segment) return false;
    const text = fs.readFileSync(this.file(segment.number), "utf8");
    const lines = text.split("\n");
    // A crash mid-append leaves a last line without "\n": never written completely, so never sent.
    if (lines.pop() !== "")
      log.warn(`${this.name}: ignoring a partial last line in ${this.file(segment.number)}`);
    const events: Event[] = [];
    for (const line of lines) {
      try {
        events.push(JSON.parse(line) as Event);
      } catch (error) {
        log.warn(
          `${this.name}: skipping an unreadable line in ${this.file(segment.number)}: ${describeError(error)}`,
        );
      }
    }
    const acked = Math.min(this.readAcked(segment.number), events.length);
    this.reading = { segment, events, acked };
    segment.events = events.length - acked;
    return true;
  }

  async peek(max: number): Promise<Event[] | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      if (this.reading && this.reading.acked >= this.reading.events.length) this.drop();
      if (this.reading) return this.reading.events.slice(this.reading.acked, this.reading.acked + max);
      if (!this.load()) await this.changed.wait();
    }
  }

  ack(count: number): void {
    const reading = this.reading;
    if (!reading || count <= 0) return;
    reading.acked = Math.min(reading.events.length, reading.acked + count);
    reading.segment.events = reading.events.length - reading.acked;
    if (reading.acked >= reading.events.length) this.drop();
    else {
      const target = this.ackFile(reading.segment.number);
      fs.writeFileSync(`${target}.tmp`, `${reading.acked}\n`);
      fs.renameSync(`${target}.tmp`, target);
    }
    this.changed.wake();
  }

  /** Deletes the fully acknowledged segment being read. */
  private drop(): void {
    const reading = this.reading;
    if (!reading) return;
    fs.rmSync(this.file(reading.segment.number), { force: true });
    fs.rmSync(this.ackFile(reading.segment.number), { force: true });
    this.sealed.shift();
    this.reading = undefined;
  }

  close(): void {
    this.closed = true;
    this.changed.wake();
  }

  size(): { events: number; bytes: number } {
    const events = this.sealed.reduce((sum, segment) => sum + segment.events, this.writing.events);
    return { events, bytes: this.totalBytes() };
  }
}
