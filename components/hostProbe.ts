/**
 * The real `HostProbe`: asks the Docker engine's API (over DOCKER_HOST or the default socket, as the
 * docker provider does), the host's interfaces and its sockets. Read-only: it binds a port only to
 * learn whether it is free, and lets go at once.
 */
import { execFile } from "child_process";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import type { HostProbe } from "./hostChecks";

/** How to reach the engine: a unix socket or tcp host:port, from DOCKER_HOST as Docker reads it. */
function dockerTarget(dockerHost = process.env.DOCKER_HOST): {
  endpoint: string;
  options: http.RequestOptions;
} {
  const endpoint = dockerHost && dockerHost.length > 0 ? dockerHost : "unix:///var/run/docker.sock";
  if (endpoint.startsWith("unix://"))
    return { endpoint, options: { socketPath: endpoint.slice("unix://".length) } };
  const url = new URL(endpoint.replace(/^tcp:/, "http:"));
  return { endpoint, options: { host: url.hostname, port: Number(url.port || 2375) } };
}

function dockerGet(path: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  const { options } = dockerTarget();
  return new Promise((resolve, reject) => {
    const request = http.get({ ...options, path, timeout: timeoutMs }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on("error", reject);
  });
}

export function realHostProbe(): HostProbe {
  return {
    dockerEndpoint: dockerTarget().endpoint,
    async dockerPing() {
      try {
        const { status } = await dockerGet("/_ping");
        return status === 200 ? undefined : `HTTP ${status}`;
      } catch (error) {
        return (error as Error).message;
      }
    },
    hostAddresses() {
      return Object.values(os.networkInterfaces())
        .flat()
        .filter((i): i is os.NetworkInterfaceInfo => i !== undefined && i.family === "IPv4")
        .map((i) => i.address);
    },
    portHolder(address, port) {
      return new Promise((resolve) => {
        const server = net.createServer();
        server.once("error", (error: NodeJS.ErrnoException) =>
          resolve(error.code === "EADDRINUSE" ? "another program" : `${error.code ?? error.message}`),
        );
        server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(undefined)));
      });
    },
    async containersPublishing(port) {
      const filters = encodeURIComponent(JSON.stringify({ publish: [String(port)] }));
      const { status, body } = await dockerGet(`/containers/json?filters=${filters}`);
      if (status !== 200) return [];
      return (JSON.parse(body) as Array<{ Names: string[] }>).flatMap((c) =>
        c.Names.map((n) => n.replace(/^\//, "")),
      );
    },
    swarmManagerProblem(dockerHost) {
      // The docker CLI, since it reaches ssh:// hosts too (as the provider does).
      const hostArgs = dockerHost ? ["-H", dockerHost] : [];
      return new Promise((resolve) => {
        execFile(
          "docker",
          [...hostArgs, "info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"],
          { timeout: 15000 },
          (error, stdout, stderr) => {
            if (error) {
              resolve(`no engine answers there (${(stderr || error.message).trim().split("\n")[0]})`);
              return;
            }
            const [state, manager] = stdout.trim().split(" ");
            resolve(
              state !== "active"
                ? `that engine is in no Swarm (its swarm state is ${state})`
                : manager !== "true"
                  ? "that engine is a Swarm worker, not a manager"
                  : undefined,
            );
          },
        );
      });
    },
    async imageExists(reference) {
      const { status } = await dockerGet(`/images/${encodeURIComponent(reference)}/json`);
      return status === 200;
    },
  };
}
