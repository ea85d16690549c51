/**
 * The stand-in's wire protocol. Both ends are the stand-in, so it is not Vector's own (gRPC
 * `vector.Vector/PushEvents` with protobuf events over HTTP/2):
 *
 * - `vector` sink -> `vector` source: HTTP/2 over TLS (mutual TLS as the `tls` blocks say), one
 *   request per batch: `POST /events`, `content-type: application/json`, body `{"events": [...]}`
 *   with events as in events.ts. The source answers `200 {"accepted": n}` only after every sink it
 *   feeds has taken the events (the file sink has appended them): that 200 is the acknowledgement.
 *   Anything else (other status, reset stream, broken connection) means "not taken": send again.
 * - `prometheus_remote_write` sink -> source: HTTPS (HTTP/1.1) `POST <endpoint path>` (the source's
 *   path is Vector's default `/`) with the same JSON body holding metric events only; same answer.
 *   Real remote write is snappy-compressed protobuf.
 */
import type { Readable } from "stream";
import { asEvent, type Event } from "./events";

export const eventsPath = "/events";
export const remoteWritePath = "/";
export const jsonContentType = "application/json";
/** At most this many events per request. */
export const maxBatchEvents = 100;
/** A larger request body is refused (413). */
export const maxBodyBytes = 16 * 1024 * 1024;

export function encodeEvents(events: Event[]): string {
  return JSON.stringify({ events });
}

export class ProtocolError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function decodeEvents(body: string): Event[] {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    throw new ProtocolError(400, "body is not JSON");
  }
  const list = (document as { events?: unknown } | null)?.events;
  if (!Array.isArray(list)) throw new ProtocolError(400, 'body has no "events" list');
  return list.map((item, index) => {
    const event = asEvent(item);
    if (!event) throw new ProtocolError(400, `events[${index}] is neither a log nor a metric`);
    return event;
  });
}

/** Reads a whole request or response body, refusing more than maxBodyBytes. */
export function readBody(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        reject(new ProtocolError(413, `body larger than ${maxBodyBytes} bytes`));
        stream.destroy();
        return;
      }
      chunks.push(chunk);
    });
    stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    stream.on("error", reject);
    stream.on("close", () => reject(new Error("stream closed before its end")));
  });
}
