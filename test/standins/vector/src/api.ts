/**
 * `api.enabled`: Vector's API answers `GET /health` over plain HTTP for load-balancer probes (the rest
 * of Vector 0.57's API is gRPC, which the stand-in does not serve). 200 `{"ok":true}` while running,
 * 503 `{"ok":false}` once shutting down. Works with HTTP/1.0 requests, as the Docker health check
 * (bash /dev/tcp) sends them.
 */
import * as http from "http";
import { listen } from "./listen";
import type { Component } from "./pipeline";

/** Vector's default API address: loopback only. */
export const defaultApiAddress = "127.0.0.1:8686";

export class Api implements Component {
  private healthy = true;
  private readonly server: http.Server;

  constructor(private readonly address: string) {
    // Probes may send HTTP/1.1 without a Host header (HAProxy's httpchk can): answer them anyway.
    this.server = http.createServer({ requireHostHeader: false }, (request, response) => {
      const pathname = (request.url ?? "").split("?")[0];
      if ((request.method === "GET" || request.method === "HEAD") && pathname === "/health") {
        response.writeHead(this.healthy ? 200 : 503, { "content-type": "application/json" });
        response.end(JSON.stringify({ ok: this.healthy }));
      } else {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: "the stand-in's API serves only GET /health" }));
      }
    });
  }

  /** From now on /health answers 503, so balancers stop sending before the listeners close. */
  shuttingDown(): void {
    this.healthy = false;
  }

  start(): Promise<void> {
    return listen(this.server, this.address, "api: serving /health");
  }

  async stop(): Promise<void> {
    this.server.close();
    this.server.closeAllConnections?.();
  }
}
