import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { renderHaproxyConfig } from "../../components/haproxyConfig";
import { parseBackendServers } from "../../scripts/haproxyStats";
import { freePort } from "../support/host";

describe("reading HAProxy's view of the backends from a real HAProxy's stats CSV", () => {
  let haproxy: ChildProcess;
  let listener: net.Server;
  let dir: string;
  let statsPort: number;
  let upPort: number;

  beforeAll(async () => {
    [statsPort, upPort] = [await freePort(), await freePort()];
    const [vectorPort, remoteWritePort, closedPort] = [await freePort(), await freePort(), await freePort()];
    listener = net.createServer((socket) => socket.end()).listen(upPort, "127.0.0.1");
    // The lab's own config (its stats frontend, its unresolvable server slots) plus two known servers.
    const config = [
      renderHaproxyConfig({
        vectorPort,
        remoteWritePort,
        statsPort,
        balance: "roundrobin",
        healthCheck: "http",
        maxAggregators: 3,
        aggregatorPoolHostname: "no-such-aggregators.invalid",
      }),
      "backend known",
      "    default-server inter 100ms fall 1 rise 1",
      `    server alive 127.0.0.1:${upPort} check`,
      `    server dead 127.0.0.1:${closedPort} check`,
      "",
    ].join("\n");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-stats-"));
    fs.writeFileSync(path.join(dir, "haproxy.cfg"), config);
    haproxy = spawn("haproxy", ["-db", "-f", path.join(dir, "haproxy.cfg")], { stdio: "ignore" });
  });

  afterAll(() => {
    listener.close();
    haproxy.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("lists servers with address and state, leaving out unused server-template slots", async () => {
    let servers: ReturnType<typeof parseBackendServers> = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        const response = await fetch(`http://127.0.0.1:${statsPort}/stats;csv`);
        servers = parseBackendServers(await response.text());
        if (servers.find((s) => s.server === "dead")?.status === "DOWN") break;
      } catch {
        // HAProxy still starting.
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(
      servers.map(({ backend, server, address, status }) => ({ backend, server, address, status })),
    ).toEqual([
      { backend: "known", server: "alive", address: `127.0.0.1:${upPort}`, status: "UP" },
      {
        backend: "known",
        server: "dead",
        address: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        status: "DOWN",
      },
    ]);
    expect(Number.isInteger(servers[0].totalSessions)).toBe(true);
  });

  it("refuses text that is not HAProxy's CSV", () => {
    expect(() => parseBackendServers("<html>")).toThrow(/not HAProxy stats CSV/);
  });
});
