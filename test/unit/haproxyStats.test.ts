import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { renderHaproxyConfig } from "../../components/haproxyConfig";
import { parseBackendServers, parseServerChecks } from "../../scripts/haproxyStats";
import { balancerServerChecks, balancerServers } from "../../scripts/labStatus";
import { freePorts } from "../support/host";

/** How long HAProxy may take to answer, and to mark a refused server DOWN (`inter 100ms fall 1`). */
const settleBoundMs = 15_000;

describe("reading HAProxy's view of the backends from a real HAProxy's stats CSV", () => {
  let haproxy: ChildProcess;
  let haproxyStderr = "";
  let listener: net.Server;
  let dir: string;
  let statsPort: number;
  let upPort: number;

  /** Why HAProxy is not answering, if it exited: its exit code and what it printed. */
  const exitReason = () =>
    haproxy.exitCode === null && haproxy.signalCode === null
      ? undefined
      : `haproxy exited (${haproxy.exitCode ?? haproxy.signalCode}): ${haproxyStderr.trim() || "<no output>"}`;

  /**
   * Reads HAProxy's stats page until `done` holds of what `read` made of it. Each request and the whole
   * wait are bounded; a timeout says what was seen last, and HAProxy's own words if it exited.
   */
  async function statsUntil<T>(
    read: (statsUrl: string, timeoutMs: number) => Promise<T>,
    done: (seen: T) => boolean,
  ): Promise<T> {
    const deadline = Date.now() + settleBoundMs;
    let last = "no answer yet";
    while (Date.now() < deadline) {
      const exited = exitReason();
      if (exited) throw new Error(exited);
      try {
        const seen = await read(`http://127.0.0.1:${statsPort}/stats`, 1000);
        if (done(seen)) return seen;
        last = JSON.stringify(seen);
      } catch (error) {
        last = String(error); // HAProxy still starting
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(
      `not settled within ${settleBoundMs} ms; last seen: ${last}; haproxy said: ${haproxyStderr}`,
    );
  }

  /** Starts HAProxy on this config; resolves once its stats page answers, else fails with its words. */
  async function startHaproxy(config: string): Promise<void> {
    fs.writeFileSync(path.join(dir, "haproxy.cfg"), config);
    haproxyStderr = "";
    haproxy = spawn("haproxy", ["-db", "-f", path.join(dir, "haproxy.cfg")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    haproxy.stderr?.on("data", (chunk) => (haproxyStderr += chunk));
    haproxy.on("error", (error) => (haproxyStderr += `could not start haproxy: ${error.message}`));
    await statsUntil(balancerServers, () => true);
  }

  beforeAll(async () => {
    listener = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    upPort = (listener.address() as net.AddressInfo).port;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-stats-"));
    // Ports free a moment ago may be taken by the time HAProxy binds them: then it says so, and exits.
    for (let attempt = 1; ; attempt++) {
      let vectorPort: number, remoteWritePort: number, closedPort: number;
      [statsPort, vectorPort, remoteWritePort, closedPort] = await freePorts(4);
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
      try {
        await startHaproxy(config);
        return;
      } catch (error) {
        if (attempt === 3 || !/cannot bind/.test(haproxyStderr)) throw error;
      }
    }
  }, 30_000);

  afterAll(() => {
    listener.close();
    haproxy?.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    "lists servers with address and state, leaving out unused server-template slots",
    async () => {
      const servers = await statsUntil(
        balancerServers,
        (seen) => seen.find((s) => s.server === "dead")?.status === "DOWN",
      );
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
    },
    2 * settleBoundMs,
  );

  it(
    "reads each server's check counters: DOWN transitions, failed checks, the last check",
    async () => {
      const checks = await statsUntil(
        balancerServerChecks,
        (seen) => (seen.find((s) => s.server === "dead")?.downTransitions ?? 0) > 0,
      );
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
    },
    2 * settleBoundMs,
  );

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
