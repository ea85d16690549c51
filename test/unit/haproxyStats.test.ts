import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { renderHaproxyConfig } from "../../components/haproxyConfig";
import { parseBackendServers, parseServerChecks } from "../../scripts/haproxyStats";
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
        healthCheckProfile: "standard",
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

  it("reads each server's check counters: DOWN transitions, failed checks, the last check", async () => {
    let checks: ReturnType<typeof parseServerChecks> = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        const response = await fetch(`http://127.0.0.1:${statsPort}/stats;csv`);
        checks = parseServerChecks(await response.text());
        if ((checks.find((s) => s.server === "dead")?.downTransitions ?? 0) > 0) break;
      } catch {
        // HAProxy still starting.
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const alive = checks.find((s) => s.server === "alive");
    const dead = checks.find((s) => s.server === "dead");
    expect(alive).toMatchObject({ status: "UP", downTransitions: 0, failedChecks: 0 });
    expect(alive?.lastCheckStatus).toMatch(/L4OK/);
    expect(alive?.lastCheckMs).toBeGreaterThanOrEqual(0);
    // `fall 1`: its first failed check (refused) marked it DOWN, once; it stays DOWN.
    expect(dead).toMatchObject({ status: "DOWN", downTransitions: 1 });
    expect(dead?.failedChecks).toBeGreaterThanOrEqual(1);
    expect(dead?.lastCheckStatus).toMatch(/L4CON/);
    expect(dead?.secondsSinceChange).toBeGreaterThanOrEqual(0);
  });

  it("leaves the last check's duration undefined before the first check, and names a missing column", () => {
    const header = "# pxname,svname,addr,status,chkdown,chkfail,lastchg,check_status,check_duration";
    const [fresh] = parseServerChecks(`${header}\nbe,aggregator1,10.0.0.2:8686,UP,0,0,3,,\n`);
    expect(fresh).toMatchObject({ address: "10.0.0.2:8686", downTransitions: 0, secondsSinceChange: 3 });
    expect(fresh.lastCheckMs).toBeUndefined();
    expect(() => parseServerChecks("# pxname,svname,addr,status\nbe,aggregator1,10.0.0.2:8686,UP\n")).toThrow(
      /no 'chkdown' column/,
    );
  });

  it("refuses text that is not HAProxy's CSV", () => {
    expect(() => parseBackendServers("<html>")).toThrow(/not HAProxy stats CSV/);
  });
});
