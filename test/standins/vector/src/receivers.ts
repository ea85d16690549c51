/**
 * Network sources: `vector` (HTTP/2, see protocol.ts) and `prometheus_remote_write` (HTTP/1.1). Both
 * listen on `address` with the `tls` block's certificate, key and client verification, and answer 200
 * only once the pipeline has taken the events. `keepalive.max_connection_age_secs`: connections older
 * than that (plus or minus 10 %, as Vector jitters it) are closed so clients reconnect, through the
 * balancer, to any aggregator.
 */
import * as http from "http";
import * as http2 from "http2";
import * as https from "https";
import type * as net from "net";
import type * as tls from "tls";
import type { RemoteWriteSourceConfig, VectorSourceConfig } from "./config";
import { listen } from "./listen";
import { isMetric, type Event } from "./events";
import { componentTags, internalMetrics } from "./internalMetrics";
import { describeError, log } from "./log";
import type { Component, Pipeline } from "./pipeline";
import {
  decodeEvents,
  eventsPath,
  jsonContentType,
  ProtocolError,
  readBody,
  remoteWritePath,
} from "./protocol";
import { peerCommonName, serverTlsOptions } from "./tls";

/** A GOAWAYed connection gets this long to finish its streams before it is cut. */
const closeGraceMs = 10_000;

function jitteredAgeMs(secs: number | undefined): number | undefined {
  if (secs === undefined || secs <= 0) return undefined;
  return secs * 1000 * (0.9 + 0.2 * Math.random());
}

/**
 * Reads one batch, hands it to the sinks and answers: 200 once the sinks took it (the acknowledgement),
 * the `ProtocolError`'s status or 500 otherwise, so the sender keeps the batch and retries.
 */
async function takeBatch(
  id: string,
  type: string,
  pipeline: Pipeline,
  agent: string | undefined,
  reply: (status: number, body: unknown) => void,
  read: () => Promise<Event[]>,
): Promise<void> {
  try {
    const events = await read();
    await pipeline.emit(id, events);
    countByAgent(id, type, agent, events);
    reply(200, { accepted: events.length });
  } catch (error) {
    internalMetrics.count("component_errors_total", {
      ...componentTags(id, "source", type),
      error_type: "request_failed",
    });
    const status = error instanceof ProtocolError ? error.status : 500;
    log.warn(`${id}: refused a request (${status}): ${describeError(error)}`);
    reply(status, { error: describeError(error) });
  }
}

function countByAgent(id: string, type: string, agent: string | undefined, events: Event[]): void {
  internalMetrics.count(
    "standin_received_events_by_agent_total",
    { component_id: id, component_type: type, agent: agent ?? "unknown" },
    events.length,
  );
}

/**
 * Shared by both receivers: log each refused TLS client (no certificate, another CA's, no TLS at all).
 * Node drops a client whose certificate does not verify without an error of its own; the reason is then
 * in `authorizationError`.
 */
function logRefusals(server: net.Server, id: string): void {
  server.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
    const from = socket.remoteAddress
      ? `${socket.remoteAddress}:${socket.remotePort}`
      : "a closed connection";
    const reason = socket.authorizationError
      ? `client certificate not accepted: ${String(socket.authorizationError)}`
      : describeError(error).split("\n")[0];
    log.warn(`${id}: refused a TLS client from ${from}: ${reason}`);
  });
}

export class VectorReceiver implements Component {
  private readonly server: http2.Http2Server;
  private readonly sessions = new Set<http2.ServerHttp2Session>();

  constructor(
    private readonly id: string,
    private readonly config: VectorSourceConfig,
    private readonly pipeline: Pipeline,
  ) {
    const tls = config.tls?.enabled ? serverTlsOptions(config.tls, `sources.${id}.tls`) : undefined;
    this.server = tls ? http2.createSecureServer({ ...tls, allowHTTP1: false }) : http2.createServer();
    if (tls) logRefusals(this.server, id);
    this.server.on("session", (session) => this.onSession(session));
    this.server.on("stream", (stream, headers) => void this.onStream(stream, headers));
  }

  private onSession(session: http2.ServerHttp2Session): void {
    this.sessions.add(session);
    const socket = session.socket;
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const agent = peerCommonName(socket);
    log.info(`${this.id}: connection from ${peer}${agent ? ` (${agent})` : ""}`);
    const ageMs = jitteredAgeMs(this.config.keepalive?.max_connection_age_secs);
    const timers: NodeJS.Timeout[] = [];
    if (ageMs !== undefined) {
      timers.push(
        setTimeout(() => {
          log.info(
            `${this.id}: closing the connection from ${peer} after ${Math.round(ageMs)} ms (max_connection_age_secs)`,
          );
          session.close(); // GOAWAY: running streams finish, new ones go to a new connection
          timers.push(setTimeout(() => session.destroy(), closeGraceMs).unref());
        }, ageMs).unref(),
      );
    }
    session.on("error", (error) => log.warn(`${this.id}: connection from ${peer}: ${describeError(error)}`));
    session.on("close", () => {
      timers.forEach(clearTimeout);
      this.sessions.delete(session);
      log.info(`${this.id}: connection from ${peer} closed`);
    });
  }

  private async onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): Promise<void> {
    stream.on("error", () => undefined); // a reset stream is the client's business
    const reply = (status: number, body: unknown) => {
      if (stream.closed || stream.destroyed) return;
      stream.respond({ ":status": status, "content-type": jsonContentType });
      stream.end(JSON.stringify(body));
    };
    if (headers[":method"] !== "POST" || headers[":path"] !== eventsPath) {
      reply(404, { error: `only POST ${eventsPath}` });
      return;
    }
    await takeBatch(
      this.id,
      "vector",
      this.pipeline,
      peerCommonName(stream.session?.socket),
      reply,
      async () =>
        decodeEvents(await readBody(stream)).map((event): Event =>
          // Like Vector's `vector` source: everything passes through, `source_type` says "vector".
          isMetric(event)
            ? { metric: { ...event.metric, tags: { ...event.metric.tags, source_type: "vector" } } }
            : { log: { ...event.log, source_type: "vector" } },
        ),
    );
  }

  start(): Promise<void> {
    return listen(this.server, this.config.address, `${this.id}: listening`);
  }

  async stop(): Promise<void> {
    this.server.close();
    for (const session of this.sessions) session.destroy();
  }
}

export class RemoteWriteReceiver implements Component {
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();
  /** When each connection turns too old (max_connection_age_secs); absent: never. */
  private readonly deadline = new WeakMap<net.Socket, number>();

  constructor(
    private readonly id: string,
    private readonly config: RemoteWriteSourceConfig,
    private readonly pipeline: Pipeline,
  ) {
    const tls = config.tls?.enabled ? serverTlsOptions(config.tls, `sources.${id}.tls`) : undefined;
    const handler = (request: http.IncomingMessage, response: http.ServerResponse) =>
      void this.onRequest(request, response);
    this.server = tls ? https.createServer(tls, handler) : http.createServer(handler);
    if (tls) logRefusals(this.server, id);
    this.server.on(tls ? "secureConnection" : "connection", (socket: net.Socket) => {
      this.sockets.add(socket);
      const ageMs = jitteredAgeMs(config.keepalive?.max_connection_age_secs);
      if (ageMs !== undefined) this.deadline.set(socket, Date.now() + ageMs);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  private async onRequest(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      const deadline = this.deadline.get(request.socket);
      // HTTP/1.1 has no GOAWAY: an old connection is told to close after this answer.
      if (deadline !== undefined && Date.now() > deadline) response.setHeader("connection", "close");
      response.writeHead(status, { "content-type": jsonContentType });
      response.end(JSON.stringify(body));
    };
    const pathname = (request.url ?? "").split("?")[0];
    if (request.method !== "POST" || pathname !== remoteWritePath) {
      reply(404, { error: `only POST ${remoteWritePath}` });
      return;
    }
    await takeBatch(
      this.id,
      "prometheus_remote_write",
      this.pipeline,
      peerCommonName(request.socket),
      reply,
      async () => {
        const events = decodeEvents(await readBody(request));
        if (!events.every(isMetric)) throw new ProtocolError(400, "remote write carries metrics only");
        return events;
      },
    );
  }

  start(): Promise<void> {
    return listen(this.server, this.config.address, `${this.id}: listening`);
  }

  async stop(): Promise<void> {
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
  }
}
