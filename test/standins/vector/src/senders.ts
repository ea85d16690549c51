/**
 * Network sinks: `vector` (HTTP/2 client, see protocol.ts) and `prometheus_remote_write` (HTTPS
 * client). Events go into the sink's buffer first (buffer.ts); a sender sends the oldest ones in
 * batches of up to maxBatchEvents and removes them from the buffer only after a 200, whatever
 * `acknowledgements.enabled` says (as Vector's sinks, which retry until the server took a request).
 * That option only concerns the sources: they are acknowledged once the event is in this buffer (see
 * fileSource.ts and config.ts). `healthcheck` is accepted and ignored: the stand-in runs no health
 * check. While the endpoint fails it retries the same batch forever, waiting 250 ms, doubling up to 5 s.
 */
import * as http from "http";
import * as http2 from "http2";
import * as https from "https";
import * as path from "path";
import { setTimeout as delay } from "timers/promises";
import type * as tls from "tls";
import { DiskBuffer, MemoryBuffer, type SinkBuffer } from "./buffer";
import type { BufferOptions, RemoteWriteSinkConfig, VectorSinkConfig } from "./config";
import { splitAddress } from "./config";
import type { Event } from "./events";
import { componentTags, internalMetrics } from "./internalMetrics";
import { describeError, log } from "./log";
import type { Component, Sink } from "./pipeline";
import { encodeEvents, eventsPath, jsonContentType, maxBatchEvents, readBody } from "./protocol";
import { clientTlsOptions, peerCommonName } from "./tls";

const connectTimeoutMs = 5_000;
const requestTimeoutMs = 10_000;
const firstBackoffMs = 250;
/** Vector's default `request.retry_max_duration_secs`. */
const defaultMaxBackoffMs = 30_000;

/** Vector's default buffer: in memory, 500 events; the stand-in bounds it by bytes instead. */
const defaultBuffer: BufferOptions = { type: "memory", max_size: 64 * 1024 * 1024, when_full: "block" };

interface Transport {
  send(events: Event[]): Promise<void>;
  close(): void;
}

/** The `vector` sink's link: one HTTP/2 connection, replaced when the server closes it (GOAWAY). */
class VectorTransport implements Transport {
  private session?: http2.ClientHttp2Session;
  private readonly authority: string;

  constructor(
    private readonly id: string,
    private readonly endpoint: string,
    private readonly tlsOptions: tls.ConnectionOptions | undefined,
  ) {
    this.authority = `${tlsOptions ? "https" : "http"}://${endpoint}`;
  }

  private connect(): Promise<http2.ClientHttp2Session> {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const session = http2.connect(this.authority, { ...this.tlsOptions });
      const timer = setTimeout(
        () => session.destroy(new Error(`no connection within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
      const forget = () => {
        if (this.session === session) this.session = undefined;
      };
      session.on("error", (error) => {
        clearTimeout(timer);
        forget();
        reject(error);
      });
      session.once("connect", () => {
        clearTimeout(timer);
        this.session = session;
        const server = peerCommonName(session.socket);
        log.info(
          `${this.id}: connected to ${this.endpoint}${server ? ` (server certificate: ${server})` : ""}`,
        );
        resolve(session);
      });
      session.on("goaway", () => {
        forget(); // the next batch opens a new connection, through the balancer
        log.info(
          `${this.id}: ${this.endpoint} closed the connection (GOAWAY); reconnecting for the next batch`,
        );
      });
      session.on("close", () => {
        clearTimeout(timer);
        forget();
      });
    });
  }

  async send(events: Event[]): Promise<void> {
    const session = await this.connect();
    await new Promise<void>((resolve, reject) => {
      const request = session.request({
        ":method": "POST",
        ":path": eventsPath,
        "content-type": jsonContentType,
      });
      const timer = setTimeout(() => {
        request.close(http2.constants.NGHTTP2_CANCEL);
        reject(new Error(`no answer within ${requestTimeoutMs} ms`));
      }, requestTimeoutMs);
      let status = 0;
      request.on("response", (headers) => {
        status = Number(headers[":status"]);
      });
      request.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      readBody(request).then(
        (text) => {
          clearTimeout(timer);
          if (status === 200) resolve();
          else reject(new Error(`status ${status}: ${text.slice(0, 200)}`));
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
      request.end(encodeEvents(events));
    });
  }

  close(): void {
    this.session?.destroy();
    this.session = undefined;
  }
}

/** The `prometheus_remote_write` sink's link: HTTP/1.1 keep-alive, one connection at a time. */
class RemoteWriteTransport implements Transport {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(
    private readonly id: string,
    endpoint: string,
    tlsOptions: tls.ConnectionOptions | undefined,
  ) {
    this.url = new URL(endpoint);
    this.agent =
      this.url.protocol === "https:"
        ? new https.Agent({ keepAlive: true, maxSockets: 1, ...tlsOptions })
        : new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  send(events: Event[]): Promise<void> {
    const body = encodeEvents(events);
    const client = this.url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.request(
        this.url,
        {
          method: "POST",
          agent: this.agent,
          timeout: requestTimeoutMs,
          headers: { "content-type": jsonContentType, "content-length": Buffer.byteLength(body) },
        },
        (response) => {
          readBody(response).then((text) => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`status ${status}: ${text.slice(0, 200)}`));
          }, reject);
        },
      );
      request.on("socket", (socket) => {
        if (!request.reusedSocket)
          socket.once("secureConnect", () => {
            const server = peerCommonName(socket);
            log.info(
              `${this.id}: connected to ${this.url.host}${server ? ` (server certificate: ${server})` : ""}`,
            );
          });
      });
      request.on("timeout", () => request.destroy(new Error(`no answer within ${requestTimeoutMs} ms`)));
      request.on("error", reject);
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function makeBuffer(id: string, options: BufferOptions | undefined, dataDir: string | undefined): SinkBuffer {
  const buffer = options ?? defaultBuffer;
  if (buffer.type === "disk") {
    // Validation made sure data_dir is set for disk buffers.
    return new DiskBuffer(path.join(dataDir ?? ".", "buffer", id), buffer.max_size, id);
  }
  return new MemoryBuffer(buffer.max_size);
}

export class NetworkSink implements Sink, Component {
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private readonly tags;

  constructor(
    private readonly id: string,
    type: string,
    private readonly target: string,
    private readonly buffer: SinkBuffer,
    private readonly transport: Transport,
    private readonly maxBackoffMs: number,
  ) {
    this.tags = componentTags(id, "sink", type);
  }

  async accept(events: Event[]): Promise<void> {
    internalMetrics.count("component_received_events_total", this.tags, events.length);
    if (!(await this.buffer.push(events))) throw new Error(`${this.id}: stopped before taking the events`);
    this.reportBuffer();
  }

  private reportBuffer(): void {
    const held = this.buffer.size();
    internalMetrics.set("buffer_events", this.tags, held.events);
    internalMetrics.set("buffer_byte_size", this.tags, held.bytes);
  }

  async start(): Promise<void> {
    log.info(`${this.id}: sending to ${this.target}`);
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    let lastError = "";
    let backoff = firstBackoffMs;
    while (!signal.aborted) {
      const events = await this.buffer.peek(maxBatchEvents);
      if (!events || signal.aborted) break;
      try {
        await this.transport.send(events);
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        internalMetrics.count("component_errors_total", { ...this.tags, error_type: "request_failed" });
        const message = describeError(error);
        if (message !== lastError || failures % 20 === 1)
          log.warn(
            `${this.id}: sending ${events.length} event(s) to ${this.target} failed (attempt ${failures}), retrying: ${message}`,
          );
        lastError = message;
        try {
          await delay(backoff, undefined, { signal });
        } catch {
          break; // stopping
        }
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
        continue;
      }
      if (failures > 0)
        log.info(`${this.id}: delivering to ${this.target} again after ${failures} failed attempt(s)`);
      failures = 0;
      lastError = "";
      backoff = firstBackoffMs;
      this.buffer.ack(events.length);
      internalMetrics.count("component_sent_events_total", this.tags, events.length);
      this.reportBuffer();
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.buffer.close();
    this.transport.close();
    await this.loop;
  }
}

export function vectorSink(id: string, config: VectorSinkConfig, dataDir: string | undefined): NetworkSink {
  const endpoint = config.routing.endpoints[0];
  const host = splitAddress(endpoint).host;
  const tlsOptions = config.tls?.enabled ? clientTlsOptions(config.tls, host, `sinks.${id}.tls`) : undefined;
  const transport = new VectorTransport(id, endpoint, tlsOptions);
  return new NetworkSink(
    id,
    "vector",
    endpoint,
    makeBuffer(id, config.buffer, dataDir),
    transport,
    maxBackoffMs(config.request),
  );
}

export function remoteWriteSink(
  id: string,
  config: RemoteWriteSinkConfig,
  dataDir: string | undefined,
): NetworkSink {
  const url = new URL(config.endpoint);
  const tlsOptions =
    url.protocol === "https:"
      ? clientTlsOptions(config.tls ?? {}, url.hostname.replace(/^\[|\]$/g, ""), `sinks.${id}.tls`)
      : undefined;
  const transport = new RemoteWriteTransport(id, config.endpoint, tlsOptions);
  return new NetworkSink(
    id,
    "prometheus_remote_write",
    config.endpoint,
    makeBuffer(id, config.buffer, dataDir),
    transport,
    maxBackoffMs(config.request),
  );
}

function maxBackoffMs(request: { retry_max_duration_secs?: number } | undefined): number {
  return request?.retry_max_duration_secs !== undefined
    ? request.retry_max_duration_secs * 1000
    : defaultMaxBackoffMs;
}
