/**
 * The `file` source: tails one file (one literal path, no globs) and emits one log event per complete
 * line, with Vector's fields (`message`, `file`, `host`, `source_type: file`, `timestamp`). It only
 * ever opens the file for reading.
 *
 * - Waits for the file to exist, then polls it every second (Vector's `glob_minimum_cooldown_ms`
 *   default is 1000) and reads what was appended. A last line without its "\n" is left for later.
 * - Checkpoint: `<data_dir>/<source id>/checkpoints.json` holds the path, the inode, the byte offset
 *   after the last acknowledged line, and a SHA-256 of the file's first bytes (up to headBytes). It
 *   moves past a batch of lines only once every sink reading this source took it into its buffer
 *   (Pipeline.emit resolved): a disk buffer is durable, and in Vector too a disk buffer acknowledges
 *   an event once it is written. On restart the source resumes there; a crash between a buffer write
 *   and the checkpoint write sends that batch again (at least once).
 * - Another inode, a file shorter than the checkpoint or other first bytes: read from the start
 *   (rotation and truncation; unread lines of a rotated-away file are not read).
 * - `when_full: block`: while a sink's buffer is full, emit waits, and so does reading.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { setTimeout as delay } from "timers/promises";
import type { FileSourceConfig } from "./config";
import { hostName, type Event } from "./events";
import { describeError, log } from "./log";
import type { Component, Pipeline } from "./pipeline";

/** Lines per emitted batch (and per checkpoint). */
const maxBatchLines = 100;
/** Bytes read at once; a longer line is not supported (the source says so and stops reading). */
const maxReadBytes = 1024 * 1024;
/** How many of the file's first bytes the checkpoint's fingerprint covers. */
const headBytes = 256;

export interface Checkpoint {
  path: string;
  /** The file's inode, as a decimal string (inodes may exceed 2^53). */
  inode: string;
  /** Bytes of complete, acknowledged lines: reading resumes here. */
  offset: number;
  /** SHA-256 (hex) of the first min(offset, headBytes) bytes. */
  head_sha256: string;
}

export interface FileSourceOptions {
  /** Time between looks at the file once caught up. */
  pollMs: number;
}

/** Where a source keeps its checkpoint under data_dir. */
export function checkpointPath(dataDir: string, sourceId: string): string {
  return path.join(dataDir, sourceId, "checkpoints.json");
}

function headHash(fd: number, length: number): string {
  const bytes = Buffer.alloc(Math.min(length, headBytes));
  const read = bytes.length > 0 ? fs.readSync(fd, bytes, 0, bytes.length, 0) : 0;
  return crypto.createHash("sha256").update(bytes.subarray(0, read)).digest("hex");
}

export class FileSource implements Component {
  private readonly abort = new AbortController();
  private readonly file: string;
  private readonly checkpointFile: string;
  private loop?: Promise<void>;
  /** The file being read and the offset after the last acknowledged line; unset until it is found. */
  private position?: { inode: string; offset: number };
  private saved?: Checkpoint;
  private waitingLogged = false;
  private tooLongAt = -1;

  constructor(
    private readonly id: string,
    config: FileSourceConfig,
    private readonly pipeline: Pipeline,
    dataDir: string,
    private readonly options: FileSourceOptions = { pollMs: 1_000 },
  ) {
    this.file = config.include[0];
    this.checkpointFile = checkpointPath(dataDir, id);
  }

  async start(): Promise<void> {
    fs.mkdirSync(path.dirname(this.checkpointFile), { recursive: true });
    this.saved = this.loadCheckpoint();
    log.info(`${this.id}: tailing ${this.file} (checkpoints in ${this.checkpointFile})`);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    // A batch waiting on a full buffer ends when the buffers close (unacknowledged: no checkpoint).
  }

  /** Resolves once the reading loop has ended (after stop). */
  stopped(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  private loadCheckpoint(): Checkpoint | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.checkpointFile, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    try {
      const value = JSON.parse(text) as Partial<Checkpoint>;
      if (
        typeof value.path === "string" &&
        typeof value.inode === "string" &&
        Number.isInteger(value.offset) &&
        (value.offset as number) >= 0 &&
        typeof value.head_sha256 === "string"
      )
        return value as Checkpoint;
    } catch {
      // reported below
    }
    log.warn(`${this.id}: ignoring an unreadable checkpoint ${this.checkpointFile}`);
    return undefined;
  }

  private saveCheckpoint(fd: number): void {
    const position = this.position as { inode: string; offset: number };
    const checkpoint: Checkpoint = {
      path: this.file,
      inode: position.inode,
      offset: position.offset,
      head_sha256: headHash(fd, position.offset),
    };
    const temporary = `${this.checkpointFile}.tmp`;
    fs.writeFileSync(temporary, `${JSON.stringify(checkpoint)}\n`);
    fs.renameSync(temporary, this.checkpointFile);
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let more = false;
      try {
        more = await this.poll();
      } catch (error) {
        if (signal.aborted) break;
        log.error(`${this.id}: ${describeError(error)}`);
      }
      if (more) continue;
      try {
        await delay(this.options.pollMs, undefined, { signal });
      } catch {
        break; // stopping
      }
    }
  }

  /** Where to start in a file just found: the checkpoint if it is this very file, else its start. */
  private resume(fd: number, inode: string, size: number): number {
    const saved = this.saved;
    if (!saved) {
      log.info(`${this.id}: found ${this.file}, reading it from the start`);
      return 0;
    }
    let reason: string | undefined;
    if (saved.path !== this.file) reason = `the checkpoint is for ${saved.path}`;
    else if (saved.inode !== inode) reason = `inode ${inode}, the checkpoint's is ${saved.inode}`;
    else if (size < saved.offset) reason = `${size} bytes, fewer than the checkpoint's ${saved.offset}`;
    else if (headHash(fd, saved.offset) !== saved.head_sha256) reason = "its first bytes differ";
    if (reason) {
      log.warn(
        `${this.id}: ${this.file} is not the checkpointed file (${reason}): reading it from the start`,
      );
      return 0;
    }
    log.info(`${this.id}: resuming ${this.file} at byte ${saved.offset} (checkpoint)`);
    return saved.offset;
  }

  /** Reads what is new and emits its complete lines; true if it stopped early with more to read. */
  private async poll(): Promise<boolean> {
    let fd: number;
    try {
      fd = fs.openSync(this.file, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      if (!this.waitingLogged) log.info(`${this.id}: waiting for ${this.file} to exist`);
      this.waitingLogged = true;
      return false;
    }
    try {
      const stat = fs.fstatSync(fd, { bigint: true });
      const inode = String(stat.ino);
      const size = Number(stat.size);
      if (!this.position) {
        this.position = { inode, offset: this.resume(fd, inode, size) };
      } else if (this.position.inode !== inode) {
        log.warn(`${this.id}: ${this.file} is another file now (inode ${inode}): reading it from the start`);
        this.position = { inode, offset: 0 };
      } else if (size < this.position.offset) {
        log.warn(`${this.id}: ${this.file} was truncated (${size} bytes): reading it from the start`);
        this.position.offset = 0;
      }
      const position = this.position;
      if (size <= position.offset) return false;
      const chunk = Buffer.alloc(Math.min(size - position.offset, maxReadBytes));
      const length = fs.readSync(fd, chunk, 0, chunk.length, position.offset);
      const end = chunk.subarray(0, length).lastIndexOf(0x0a);
      if (end < 0) {
        // Only a partial line: wait for its "\n". A line longer than maxReadBytes never completes here.
        if (length === maxReadBytes && this.tooLongAt !== position.offset) {
          this.tooLongAt = position.offset;
          log.error(
            `${this.id}: a line longer than ${maxReadBytes} bytes at byte ${position.offset} of ${this.file}: not supported by the stand-in, not reading further`,
          );
        }
        return false;
      }
      // Raw lines (without "\n"), so offsets count the file's bytes, not the decoded text's.
      const lines: Buffer[] = [];
      for (let start = 0; start <= end;) {
        const newline = chunk.indexOf(0x0a, start);
        lines.push(chunk.subarray(start, newline));
        start = newline + 1;
      }
      for (let first = 0; first < lines.length; first += maxBatchLines) {
        if (this.abort.signal.aborted) return false;
        const batch = lines.slice(first, first + maxBatchLines);
        const timestamp = new Date().toISOString();
        const events: Event[] = batch.map((line) => ({
          // Invalid UTF-8 becomes U+FFFD, as Vector decodes lossily.
          log: {
            file: this.file,
            host: hostName,
            message: line.toString("utf8"),
            source_type: "file",
            timestamp,
          },
        }));
        // Resolves once every reading sink took the batch (the acknowledgement); throws if one stopped.
        await this.pipeline.emit(this.id, events);
        position.offset += batch.reduce((sum, line) => sum + line.length + 1, 0);
        this.saveCheckpoint(fd);
      }
      return length === maxReadBytes;
    } finally {
      fs.closeSync(fd);
    }
  }
}
