/**
 * One client's attempt through the balancer's mTLS ports, as the lab's drills and tests make it: did
 * the aggregator behind HAProxy take it ("accepted") or not ("refused")? Only ever dials 127.0.0.1.
 */
import * as net from "net";
import * as tls from "tls";

/** HTTP/2's connection preface plus an empty SETTINGS frame; a server's answer starts with its SETTINGS. */
const http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";
const isHttp2Settings = (answer: Buffer) => answer.length >= 9 && answer[3] === 0x04;

/**
 * One TLS attempt through the balancer: "accepted" when the handshake completes and the aggregator's
 * server behind it answers (HTTP/2 SETTINGS on the vector port, an HTTP/1.1 status line on the remote
 * write port); "refused" otherwise.
 */
export function tlsAttempt(port: number, protocol: "h2" | "http/1.1", options: tls.ConnectionOptions) {
  return new Promise<"accepted" | "refused">((resolve) => {
    const socket = tls.connect({
      // The lab's published port on this host; options.host only when it is bound elsewhere on it.
      host: "127.0.0.1",
      port,
      servername: "localhost",
      ALPNProtocols: [protocol],
      ...options,
    });
    const done = (result: "accepted" | "refused") => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done("refused"), 5000);
    socket.on("secureConnect", () =>
      socket.write(protocol === "h2" ? http2Preface : "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    );
    socket.on("data", (chunk: Buffer) =>
      done(
        (protocol === "h2" ? isHttp2Settings(chunk) : chunk.toString().startsWith("HTTP/1.1 "))
          ? "accepted"
          : "refused",
      ),
    );
    socket.on("error", () => done("refused"));
    socket.on("close", () => done("refused"));
  });
}

/** A plaintext client: refused when the balancer's backend closes without an HTTP/2 answer. */
export function plaintextAttempt(
  port: number,
  protocol: "h2" | "http/1.1",
  host = "127.0.0.1",
): Promise<"accepted" | "refused"> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host, () =>
      socket.write(protocol === "h2" ? http2Preface : "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"),
    );
    let answer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("refused");
    }, 5000);
    socket.on("data", (chunk: Buffer) => (answer = Buffer.concat([answer, chunk])));
    socket.on("close", () => {
      clearTimeout(timer);
      const accepted =
        protocol === "h2" ? isHttp2Settings(answer) : answer.toString().startsWith("HTTP/1.1 ");
      resolve(accepted ? "accepted" : "refused");
    });
    socket.on("error", () => undefined);
  });
}
