import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { LabConfigError, parseLabConfig, settingDefaults, settingNames } from "../../components/settings";

/** The problems `parseLabConfig` reports for these raw settings (none: the test fails). */
function problemsOf(raw: Record<string, string>): string[] {
  try {
    parseLabConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(LabConfigError);
    return (error as LabConfigError).problems;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be refused`);
}

describe("stack config: good input", () => {
  it("gives the typed defaults when nothing is set", () => {
    expect(parseLabConfig({})).toEqual({
      aggregatorCount: 2,
      maxAggregators: 16,
      agentCount: 2,
      vectorPort: 19093,
      remoteWritePort: 19094,
      statsPort: 8404,
      balance: "roundrobin",
      healthCheck: "http",
      healthCheckProfile: "standard",
      keyAlgorithm: "ECDSA",
      certValidityHours: 8760,
      certEarlyRenewalHours: 720,
      caGeneration: 1,
      caAlsoTrusted: 0,
      hostBindAddress: "127.0.0.1",
      maxConnectionAgeSecs: 60,
      haproxyImage: "haproxy:3.4",
      vectorImage: "timberio/vector:0.57.0-debian",
      useLocalImages: false,
      target: "docker",
      dockerHost: undefined,
      balancerCount: 2,
    });
  });

  it("takes the swarm target with a manager's endpoint and a balancer count", () => {
    for (const dockerHost of [
      "unix:///run/vector-ha-lab/cluster/node-1/docker.sock",
      "tcp://10.0.0.5:2376",
      "ssh://ops@swarm-1",
    ]) {
      expect(parseLabConfig({ target: "swarm", dockerHost, balancers: "3" })).toMatchObject({
        target: "swarm",
        dockerHost,
        balancerCount: 3,
      });
    }
    expect(parseLabConfig({ target: "swarm" })).toMatchObject({ dockerHost: undefined, balancerCount: 2 });
    // As plain `pulumi up` passes them: every setting, the defaults from Pulumi.yaml included.
    const asPulumiPassesThem = Object.fromEntries(
      Object.entries(settingDefaults).map(([k, v]) => [k, String(v)]),
    );
    expect(parseLabConfig(asPulumiPassesThem).target).toBe("docker");
    expect(parseLabConfig({ ...asPulumiPassesThem, target: "swarm" }).target).toBe("swarm");
  });

  it("types every value it is given as a string, as `pulumi config` stores them", () => {
    const config = parseLabConfig({
      aggregators: "5",
      maxAggregators: "5",
      agents: "1",
      balance: "leastconn",
      healthCheck: "ssl-hello",
      healthCheckProfile: "fast",
      keyAlgorithm: "RSA",
      hostBindAddress: "0.0.0.0",
      useLocalImages: "true",
      vectorImage: "vector-ha-lab/vector-standin:0.57.0",
      certValidityHours: "24",
      certEarlyRenewalHours: "24",
      caGeneration: "2",
      caAlsoTrusted: "1",
    });
    expect(config).toMatchObject({
      // Renewal window as long as the validity: every `up` renews (a rehearsal of renewal).
      certEarlyRenewalHours: 24,
      caGeneration: 2,
      caAlsoTrusted: 1,
      aggregatorCount: 5,
      maxAggregators: 5,
      agentCount: 1,
      balance: "leastconn",
      healthCheck: "ssl-hello",
      healthCheckProfile: "fast",
      keyAlgorithm: "RSA",
      hostBindAddress: "0.0.0.0",
      useLocalImages: true,
      vectorImage: "vector-ha-lab/vector-standin:0.57.0",
    });
  });
});

describe("stack config: each bad value gets a message naming the setting, the value and what is allowed", () => {
  it.each([
    [{ aggregators: "0" }, 'aggregators: got "0"; allowed: a whole number from 1 to maxAggregators (16)'],
    [{ agents: "-1" }, 'agents: got "-1"; allowed: a whole number from 1 to 64'],
    [{ maxAggregators: "65" }, 'maxAggregators: got "65"; allowed: a whole number from 1 to 64'],
    [{ certValidityHours: "0" }, 'certValidityHours: got "0"; allowed: a whole number from 1 to 87600'],
    [{ maxConnectionAgeSecs: "0" }, 'maxConnectionAgeSecs: got "0"; allowed: a whole number from 1 to 86400'],
    [{ haproxyImage: "" }, 'haproxyImage: got ""; allowed: a Docker image reference such as haproxy:3.4'],
    [{ aggregators: "17" }, 'aggregators: got "17"; allowed: a whole number from 1 to maxAggregators (16)'],
    [
      { aggregators: "3", maxAggregators: "2" },
      'aggregators: got "3"; allowed: a whole number from 1 to maxAggregators (2)',
    ],
    [{ aggregators: "two" }, 'aggregators: got "two"; allowed: a whole number from 1 to maxAggregators (16)'],
    [{ agents: "1.5" }, 'agents: got "1.5"; allowed: a whole number from 1 to 64'],
    [{ balance: "random" }, 'balance: got "random"; allowed: one of roundrobin, leastconn, source'],
    [{ healthCheck: "tcp" }, 'healthCheck: got "tcp"; allowed: one of http, ssl-hello'],
    [{ healthCheckProfile: "slow" }, 'healthCheckProfile: got "slow"; allowed: one of standard, fast'],
    [{ healthCheckProfile: "Fast" }, 'healthCheckProfile: got "Fast"; allowed: one of standard, fast'],
    [{ keyAlgorithm: "DSA" }, 'keyAlgorithm: got "DSA"; allowed: one of ECDSA, RSA'],
    [{ statsPort: "70000" }, 'statsPort: got "70000"; allowed: a port number from 1 to 65535'],
    [{ vectorPort: "0" }, 'vectorPort: got "0"; allowed: a port number from 1 to 65535'],
    [
      { remoteWritePort: "19093" },
      'remoteWritePort: got "19093"; allowed: a port not used by another setting (vectorPort is 19093, its default)',
    ],
    [
      // Named on the setting the user changed, not on the default it collides with.
      { vectorPort: "8404" },
      'vectorPort: got "8404"; allowed: a port not used by another setting (statsPort is 8404, its default)',
    ],
    [
      { vectorPort: "9000", statsPort: "9000" },
      'statsPort: got "9000"; allowed: a port not used by another setting (vectorPort is 9000)',
    ],
    [
      { aggregator: "3" },
      'aggregator: got "3", but the lab has no setting of that name; did you mean aggregators? allowed: aggregators, maxAggregators,',
    ],
    [
      { HostBindAdress: "0.0.0.0" },
      'HostBindAdress: got "0.0.0.0", but the lab has no setting of that name; did you mean hostBindAddress?',
    ],
    [
      { colour: "blue" },
      'colour: got "blue", but the lab has no setting of that name; allowed: aggregators,',
    ],
    [
      { hostBindAddress: "localhost" },
      'hostBindAddress: got "localhost"; allowed: an IPv4 address of this host',
    ],
    [{ useLocalImages: "yes" }, 'useLocalImages: got "yes"; allowed: true or false'],
    [{ target: "kubernetes" }, 'target: got "kubernetes"; allowed: one of docker, swarm'],
    [
      { target: "swarm", dockerHost: "http://manager:2375" },
      'dockerHost: got "http://manager:2375"; allowed: empty (the local engine), unix:///path/to/docker.sock, tcp://host:port or ssh://user@host',
    ],
    [
      { dockerHost: "tcp://10.0.0.5:2376" },
      'dockerHost: got "tcp://10.0.0.5:2376"; allowed: empty with target docker (it runs on the local engine, DOCKER_HOST); a Swarm manager with target swarm',
    ],
    [{ target: "swarm", balancers: "0" }, 'balancers: got "0"; allowed: a whole number from 1 to 9'],
    [
      { balancers: "3" },
      'balancers: got "3"; allowed: 1 or its default with target docker (one HAProxy); 1 to 9 with target swarm',
    ],
    [
      { target: "swarm", hostBindAddress: "0.0.0.0" },
      'hostBindAddress: got "0.0.0.0"; allowed: its default with target swarm (each balancer\'s node publishes the ports on all its addresses)',
    ],
    [
      { certEarlyRenewalHours: "11", certValidityHours: "10" },
      'certEarlyRenewalHours: got "11"; allowed: a whole number from 0 to certValidityHours (10)',
    ],
    [{ caGeneration: "0" }, 'caGeneration: got "0"; allowed: a whole number from 1 to 9999'],
    [
      { caGeneration: "3", caAlsoTrusted: "3" },
      'caAlsoTrusted: got "3"; allowed: 0 (no second CA) or a generation other than caGeneration (3)',
    ],
    [{ vectorImage: "Not An Image" }, 'vectorImage: got "Not An Image"; allowed: a Docker image reference'],
  ])("%j", (raw, message) => {
    const problems = problemsOf(raw as Record<string, string>);
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(message)).toBe(true);
  });

  it("reports all problems at once, in one error whose message lists each", () => {
    const raw = { aggregators: "0", balance: "random", statsPort: "19093", keyAlgorithm: "x" };
    expect(problemsOf(raw)).toHaveLength(4);
    expect(() => parseLabConfig(raw)).toThrow(
      /invalid stack config:\n {2}- aggregators: .*\n {2}- statsPort: .*\n {2}- balance: .*\n {2}- keyAlgorithm: /,
    );
  });
});

describe("Pulumi.yaml declares every setting", () => {
  const project = parse(fs.readFileSync(path.join(__dirname, "../../Pulumi.yaml"), "utf8")) as {
    config: Record<string, { type: string; default: unknown; description: string }>;
  };

  it("with the same defaults as the program, a type and a description", () => {
    expect(Object.keys(project.config).sort()).toEqual([...settingNames].sort());
    for (const name of settingNames) {
      const declared = project.config[name];
      expect(declared.default).toEqual(settingDefaults[name]);
      expect(declared.type).toBe(
        typeof settingDefaults[name] === "number" ? "integer" : typeof settingDefaults[name],
      );
      expect(declared.description.length).toBeGreaterThan(20);
    }
  });

  it("and the dev stack's settings pass validation", () => {
    const dev = parse(fs.readFileSync(path.join(__dirname, "../../Pulumi.dev.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    const raw = Object.fromEntries(
      Object.entries(dev.config).map(([key, value]) => [key.replace(/^vector-ha-lab:/, ""), String(value)]),
    );
    expect(Object.keys(raw).every((key) => (settingNames as string[]).includes(key))).toBe(true);
    expect(() => parseLabConfig(raw)).not.toThrow();
  });
});

describe("the README's settings table", () => {
  const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
  /** Setting name → its default column, backticks removed. */
  const rows = new Map(
    [...readme.matchAll(/^\| `(\w+)` +\| ([^|]+?) +\|/gm)].map(([, name, defaultColumn]) => [
      name,
      defaultColumn.replace(/`/g, ""),
    ]),
  );

  it("lists every setting, once, with the default the program applies", () => {
    expect([...rows.keys()].sort()).toEqual([...settingNames].sort());
    for (const name of settingNames)
      expect({ name, default: rows.get(name) }).toEqual({ name, default: String(settingDefaults[name]) });
  });
});
