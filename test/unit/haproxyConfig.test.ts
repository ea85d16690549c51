import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { aggregatorPorts } from "../../components/constants";
import {
  backendNames,
  healthCheckTimings,
  maxDownDetectionMs,
  renderHaproxyConfig,
  type HaproxySpec,
} from "../../components/haproxyConfig";
import { healthCheckProfiles } from "../../components/settings";

const defaults: HaproxySpec = {
  vectorPort: 19093,
  remoteWritePort: 19094,
  statsPort: 8404,
  balance: "roundrobin",
  healthCheck: "http",
  healthCheckProfile: "standard",
  maxAggregators: 16,
  aggregatorPoolHostname: "vector-ha-lab-dev-aggregators",
};

/** Runs the real `haproxy -c` (Debian's haproxy; .ci/run installs it). Returns its output; throws if invalid. */
function haproxyCheck(config: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-cfg-"));
  const file = path.join(dir, "haproxy.cfg");
  fs.writeFileSync(file, config);
  try {
    return execFileSync("haproxy", ["-c", "-f", file], { encoding: "utf8", stdio: "pipe" });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The lines of one section (`backend x`, `frontend y`), indentation removed. */
function section(config: string, header: string): string[] {
  const lines = config.split("\n");
  const start = lines.indexOf(header);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, i) => i > start && /^\S/.test(line));
  return lines
    .slice(start + 1, end === -1 ? undefined : end)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
}

describe("haproxy.cfg passes the real `haproxy -c`", () => {
  const variants: Record<string, Partial<HaproxySpec>> = {
    defaults: {},
    "leastconn with ssl-hello checks": { balance: "leastconn", healthCheck: "ssl-hello" },
    "source balance, one slot, other ports": {
      balance: "source",
      maxAggregators: 1,
      vectorPort: 29093,
      remoteWritePort: 29094,
      statsPort: 9404,
    },
    "64 slots": { maxAggregators: 64 },
    ...Object.fromEntries(
      healthCheckProfiles.flatMap((healthCheckProfile) => [
        [`health-check profile ${healthCheckProfile}`, { healthCheckProfile }],
        [
          `health-check profile ${healthCheckProfile}, ssl-hello`,
          { healthCheckProfile, healthCheck: "ssl-hello" },
        ],
      ]),
    ),
  };
  it.each(Object.entries(variants))("%s", (_, overrides) => {
    expect(haproxyCheck(renderHaproxyConfig({ ...defaults, ...overrides }))).toMatch(
      /Configuration file is valid/,
    );
  });

  it("and `haproxy -c` really rejects a broken file (the check above can fail)", () => {
    const broken = renderHaproxyConfig(defaults).replace("balance roundrobin", "balance fastest");
    expect(() => haproxyCheck(broken)).toThrow();
  });
});

describe("haproxy.cfg behaviour", () => {
  it("passes TLS through in TCP mode: no certificate, no key, no ssl on any bind or server", () => {
    const config = renderHaproxyConfig(defaults);
    expect(section(config, "defaults")).toContain("mode tcp");
    expect(config).not.toMatch(/\bssl\b|crt |\.pem|\.key/);
  });

  it("routes each frontend port to the matching aggregator port through DNS-discovered slots", () => {
    const config = renderHaproxyConfig({ ...defaults, maxAggregators: 7 });
    expect(section(config, "frontend vector")).toEqual([
      "bind :19093",
      `default_backend ${backendNames.vector}`,
    ]);
    expect(section(config, "frontend remote_write")).toEqual([
      "bind :19094",
      `default_backend ${backendNames.remoteWrite}`,
    ]);
    const vectorTemplate = section(config, `backend ${backendNames.vector}`).find((l) =>
      l.startsWith("server-template"),
    );
    const remoteTemplate = section(config, `backend ${backendNames.remoteWrite}`).find((l) =>
      l.startsWith("server-template"),
    );
    expect(vectorTemplate).toMatch(
      new RegExp(
        `^server-template \\w+ 1-7 vector-ha-lab-dev-aggregators:${aggregatorPorts.vector} .*resolvers docker`,
      ),
    );
    expect(remoteTemplate).toMatch(
      new RegExp(` 1-7 vector-ha-lab-dev-aggregators:${aggregatorPorts.remoteWrite} `),
    );
    expect(section(config, "resolvers docker")).toContain("nameserver dockerdns 127.0.0.11:53");
  });

  it("checks Vector's /health on the API port by default", () => {
    const backend = section(renderHaproxyConfig(defaults), `backend ${backendNames.vector}`);
    expect(backend).toEqual(
      expect.arrayContaining([
        "option httpchk",
        "http-check send meth GET uri /health",
        "http-check expect status 200",
      ]),
    );
    expect(backend.find((l) => l.startsWith("server-template"))).toContain(
      `check port ${aggregatorPorts.api}`,
    );
  });

  it("cuts the sessions of a server marked DOWN, so pinned agents move to a live aggregator", () => {
    const config = renderHaproxyConfig(defaults);
    for (const name of Object.values(backendNames)) {
      const defaultServer = section(config, `backend ${name}`).find((l) => l.startsWith("default-server"));
      expect(defaultServer).toMatch(/ on-marked-down shutdown-sessions/);
    }
  });

  it.each(healthCheckProfiles)(
    "times the checks of both backends by the %s profile",
    (healthCheckProfile) => {
      const config = renderHaproxyConfig({ ...defaults, healthCheckProfile });
      const timing = healthCheckTimings[healthCheckProfile];
      for (const name of Object.values(backendNames)) {
        const backend = section(config, `backend ${name}`);
        expect(backend).toContain(`timeout check ${timing.timeoutMs}ms`);
        // default-server's keywords, each followed by its value.
        const words = backend.find((l) => l.startsWith("default-server"))?.split(" ") ?? [];
        const value = (keyword: string) => words[words.indexOf(keyword) + 1];
        expect({
          inter: value("inter"),
          fastinter: value("fastinter"),
          downinter: value("downinter"),
          fall: value("fall"),
          rise: value("rise"),
        }).toEqual({
          inter: `${timing.intervalMs}ms`,
          fastinter: `${timing.fastIntervalMs}ms`,
          downinter: `${timing.downIntervalMs}ms`,
          fall: String(timing.fall),
          rise: String(timing.rise),
        });
      }
    },
  );

  it("renders each profile differently: the setting reaches haproxy.cfg", () => {
    const rendered = healthCheckProfiles.map((healthCheckProfile) =>
      renderHaproxyConfig({ ...defaults, healthCheckProfile }),
    );
    expect(new Set(rendered).size).toBe(healthCheckProfiles.length);
  });

  it("checks the TLS hello on the data port with healthCheck=ssl-hello", () => {
    const backend = section(
      renderHaproxyConfig({ ...defaults, healthCheck: "ssl-hello" }),
      `backend ${backendNames.remoteWrite}`,
    );
    expect(backend).toContain("option ssl-hello-chk");
    expect(backend.join("\n")).not.toMatch(/httpchk|port 8686/);
  });

  it.each(["roundrobin", "leastconn", "source"] as const)("balances with %s in both backends", (balance) => {
    const config = renderHaproxyConfig({ ...defaults, balance });
    for (const name of Object.values(backendNames)) {
      expect(section(config, `backend ${name}`)).toContain(`balance ${balance}`);
    }
  });

  it("serves the stats page and Prometheus metrics on the stats port", () => {
    const stats = section(renderHaproxyConfig({ ...defaults, statsPort: 9000 }), "frontend stats");
    expect(stats).toEqual(
      expect.arrayContaining([
        "mode http",
        "bind :9000",
        "stats uri /stats",
        "http-request use-service prometheus-exporter if { path /metrics }",
      ]),
    );
  });

  it("counts bytes while a session is open (contstats): agents hold theirs open for long", () => {
    expect(section(renderHaproxyConfig(defaults), "defaults")).toContain("option contstats");
  });

  it("keeps client and server timeouts long: agents hold their connections", () => {
    const defaultsSection = section(renderHaproxyConfig(defaults), "defaults");
    expect(defaultsSection).toEqual(expect.arrayContaining(["timeout client 1h", "timeout server 1h"]));
  });
});

describe("how soon a failed aggregator leaves rotation (maxDownDetectionMs)", () => {
  it("has the default profile take a frozen aggregator out within 1 s, the goal it was chosen for", () => {
    expect(maxDownDetectionMs("standard", "no-answer")).toBeLessThanOrEqual(1000);
  });

  it("is shorter for the fast profile, whatever the failure", () => {
    for (const failure of ["no-answer", "unreachable"] as const) {
      expect(maxDownDetectionMs("fast", failure)).toBeLessThan(maxDownDetectionMs("standard", failure));
    }
  });

  it.each(healthCheckProfiles)(
    "%s: bounds an unreachable aggregator (the connect may hang) above a silent one",
    (p) => {
      // The hang is capped by `inter`, once per failing check.
      const { intervalMs, fall } = healthCheckTimings[p];
      expect(maxDownDetectionMs(p, "unreachable") - maxDownDetectionMs(p, "no-answer")).toBe(
        fall * intervalMs,
      );
      expect(maxDownDetectionMs(p)).toBe(maxDownDetectionMs(p, "unreachable"));
    },
  );

  it.each(healthCheckProfiles)("%s: is at least the failed checks themselves, fastinter apart", (p) => {
    const { fastIntervalMs, timeoutMs, fall } = healthCheckTimings[p];
    expect(maxDownDetectionMs(p, "no-answer")).toBeGreaterThanOrEqual(
      fall * timeoutMs + (fall - 1) * fastIntervalMs,
    );
  });
});
