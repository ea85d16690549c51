/**
 * The resource graph the lab declares, under Pulumi's mocks, for several stack configs: what exists,
 * how it is named, labelled and connected, which files each container gets, what stays secret, and what
 * scaling touches.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { readLabConfig } from "../../components/config";
import { parseLabConfig, type LabConfig } from "../../components/settings";
import { demoAppPaths, haproxyConfigPath, labelKeys, vectorPaths } from "../../components/constants";
import { buildLab, type LabOutputs } from "../../components/lab";
import { runUnderMocks, type DeclaredResource, type MockRun } from "../support/pulumiMocks";
import { isSecretValue, reveal } from "../support/wireValues";
import { pathsNamedBy, vectorConfigProblems } from "../support/vectorReference";

const containerType = "docker:index/container:Container";

interface ContainerInputs {
  name: string;
  image: string;
  labels: { label: string; value: string }[];
  networksAdvanced: { name: string; aliases: string[] }[];
  uploads: { file: string; content: unknown }[];
  volumes?: { volumeName: string; containerPath: string; readOnly?: boolean }[];
  entrypoints?: string[];
  networkMode?: string;
  envs?: string[];
  ports?: { internal: number; external: number; ip: string }[];
  healthcheck?: { tests: string[] };
}

const runLab = (raw: Record<string, string>, stack = "dev"): Promise<MockRun<LabOutputs>> =>
  runUnderMocks(() => buildLab(parseLabConfig(raw)) as LabOutputs, { stack });

/**
 * Container inputs with secrets revealed. (An upload list holding a key is secret as a whole: the SDK
 * marks a whole input secret when any part of it is; the secrecy test looks at the raw inputs.)
 */
const containers = (run: MockRun<unknown>): ContainerInputs[] =>
  run.resources.filter((r) => r.type === containerType).map((r) => reveal(r.inputs) as ContainerInputs);
const containerNamed = (run: MockRun<unknown>, name: string): ContainerInputs => {
  const found = containers(run).find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
};
const labelsOf = (inputs: { labels?: { label: string; value: string }[] }): Record<string, string> =>
  Object.fromEntries((inputs.labels ?? []).map(({ label, value }) => [label, value]));

const configurations: [string, Record<string, string>, string][] = [
  ["defaults", {}, "dev"],
  [
    "3 aggregators, 1 agent, RSA, leastconn",
    { aggregators: "3", agents: "1", keyAlgorithm: "RSA", balance: "leastconn" },
    "dev",
  ],
  [
    "1 aggregator, 4 agents, local images, all interfaces, another stack",
    { aggregators: "1", agents: "4", useLocalImages: "true", hostBindAddress: "0.0.0.0" },
    "staging",
  ],
];

describe.each(configurations)("the lab with %s", (_, raw, stack) => {
  let run: MockRun<LabOutputs>;
  let config: LabConfig;
  const prefix = `vector-ha-lab-${stack}`;
  beforeAll(async () => {
    config = parseLabConfig(raw);
    run = await runLab(raw, stack);
  });

  it("declares one network, one HAProxy, `aggregators` aggregators and `agents` agents, index-named", () => {
    const names = containers(run)
      .map((c) => c.name)
      .sort();
    const expected = [
      `${prefix}-haproxy`,
      ...Array.from({ length: config.aggregatorCount }, (_, i) => `${prefix}-aggregator-${i}`),
      ...Array.from({ length: config.agentCount }, (_, i) => `${prefix}-agent-${i}`),
      ...Array.from({ length: config.agentCount }, (_, i) => `${prefix}-demo-app-${i}`),
    ].sort();
    expect(names).toEqual(expected);
    const networks = run.resources.filter((r) => r.type === "docker:index/network:Network");
    expect(networks.map((n) => n.inputs.name)).toEqual([`${prefix}-network`]);
    expect(run.outputs.aggregatorContainerNames).toHaveLength(config.aggregatorCount);
    expect(run.outputs.agentContainerNames).toHaveLength(config.agentCount);
  });

  it("names and labels every Docker object for its project, stack and role", () => {
    const dockerObjects = run.resources.filter((r) =>
      [
        "docker:index/container:Container",
        "docker:index/network:Network",
        "docker:index/volume:Volume",
      ].includes(r.type),
    );
    // The network, HAProxy, a container plus a data volume per aggregator and agent, and per agent its
    // demo app's container and log volume.
    expect(dockerObjects).toHaveLength(
      2 + 2 * (config.aggregatorCount + config.agentCount) + 2 * config.agentCount,
    );
    for (const object of dockerObjects) {
      expect(String(object.inputs.name).startsWith(`${prefix}-`)).toBe(true);
      const labels = labelsOf(object.inputs as { labels?: { label: string; value: string }[] });
      expect(labels[labelKeys.project]).toBe("vector-ha-lab");
      expect(labels[labelKeys.stack]).toBe(stack);
      expect(String(object.inputs.name)).toContain(labels[labelKeys.role]);
    }
  });

  it("puts every container on the lab's network (demo apps on none); aggregators share the alias HAProxy resolves", () => {
    for (const container of containers(run)) {
      if (container.name.includes("-demo-app-")) {
        expect(container.networkMode).toBe("none");
        expect(container.networksAdvanced).toBeUndefined();
      } else {
        expect(container.networksAdvanced.map((n) => n.name)).toEqual([`${prefix}-network`]);
      }
    }
    const aggregatorAliases = containers(run)
      .filter((c) => c.name.includes("-aggregator-"))
      .map((c) => c.networksAdvanced[0].aliases);
    expect(aggregatorAliases).toHaveLength(config.aggregatorCount);
    for (const aliases of aggregatorAliases) expect(aliases).toEqual([`${prefix}-aggregators`]);
    expect(containerNamed(run, `${prefix}-haproxy`).networksAdvanced[0].aliases).toEqual([
      `${prefix}-balancer`,
    ]);
    const haproxyCfg = String(reveal(containerNamed(run, `${prefix}-haproxy`).uploads[0].content));
    expect(haproxyCfg).toContain(`${prefix}-aggregators:`);
    // The stack's `balance` (one case sets leastconn, not the default) reaches both backends.
    expect(haproxyCfg.match(new RegExp(`^\\s*balance ${config.balance}$`, "gm"))).toHaveLength(2);
  });

  it("gives HAProxy its haproxy.cfg and publishes its ports on the configured host address only", () => {
    const haproxy = containerNamed(run, `${prefix}-haproxy`);
    expect(haproxy.uploads.map((u) => u.file)).toEqual([haproxyConfigPath]);
    expect(haproxy.ports).toEqual(
      [config.vectorPort, config.remoteWritePort, config.statsPort].map((port) => ({
        internal: port,
        external: port,
        ip: config.hostBindAddress,
        protocol: "tcp",
      })),
    );
    for (const container of containers(run).filter((c) => c.name !== haproxy.name))
      expect(container.ports).toBeUndefined();
  });

  it("gives each Vector container a valid vector.yaml and every file it names", () => {
    const vectorContainers = containers(run).filter((c) => /-(aggregator|agent)-\d+$/.test(c.name));
    expect(vectorContainers).toHaveLength(config.aggregatorCount + config.agentCount);
    for (const container of vectorContainers) {
      const files: string[] = [
        vectorPaths.config,
        vectorPaths.caCert,
        vectorPaths.nodeCert,
        vectorPaths.nodeKey,
      ];
      // Aggregators also get their OpenSSL settings, named by OPENSSL_CONF.
      if (container.name.includes("-aggregator-")) {
        files.push(vectorPaths.opensslConfig);
        expect(container.envs).toEqual([`OPENSSL_CONF=${vectorPaths.opensslConfig}`]);
      }
      expect(container.uploads.map((u) => u.file).sort()).toEqual(files.sort());
      const vectorYaml = parse(
        String(reveal(container.uploads.find((u) => u.file === vectorPaths.config)?.content)),
      );
      expect(vectorConfigProblems(vectorYaml)).toEqual([]);
      const uploaded = container.uploads.map((u) => u.file);
      const mounts = (container.volumes ?? []).map((v) => v.containerPath);
      for (const named of pathsNamedBy(vectorYaml)) {
        const present =
          uploaded.includes(named) || mounts.some((m) => named === m || named.startsWith(`${m}/`));
        expect({ container: container.name, path: named, present }).toEqual({
          container: container.name,
          path: named,
          present: true,
        });
      }
    }
  });

  it("gives each aggregator its own certificate naming itself and the balancer; each agent its own client certificate", () => {
    const requests = run.resources.filter((r) => r.type === "tls:index/certRequest:CertRequest");
    for (let i = 0; i < config.aggregatorCount; i++) {
      const csr = requests.find((r) => r.name === `aggregator-${i}-csr`);
      expect(csr?.inputs.dnsNames).toEqual(
        expect.arrayContaining([
          `${prefix}-aggregator-${i}`,
          `${prefix}-balancer`,
          `${prefix}-haproxy`,
          "localhost",
        ]),
      );
      expect(csr?.inputs.ipAddresses).toEqual(expect.arrayContaining(["127.0.0.1"]));
      const cert = run.resources.find((r) => r.name === `aggregator-${i}-cert`);
      expect(cert?.inputs.allowedUses).toContain("server_auth");
      const upload = containerNamed(run, `${prefix}-aggregator-${i}`).uploads.find(
        (u) => u.file === vectorPaths.nodeCert,
      );
      expect(reveal(upload?.content)).toBe(`mock-cert-pem:aggregator-${i}-cert`);
    }
    for (let i = 0; i < config.agentCount; i++) {
      const cert = run.resources.find((r) => r.name === `agent-${i}-cert`);
      expect(cert?.inputs.allowedUses).toContain("client_auth");
      expect(cert?.inputs.allowedUses).not.toContain("server_auth");
    }
    const keys = run.resources.filter((r) => r.type === "tls:index/privateKey:PrivateKey");
    for (const key of keys) expect(key.inputs.algorithm).toBe(config.keyAlgorithm);
  });

  it("keeps every private key secret wherever it goes, and exports only public material in clear", () => {
    const leaks: string[] = [];
    const walk = (where: string, value: unknown): void => {
      if (isSecretValue(value)) return;
      if (typeof value === "string" && value.includes("mock-private-key-pem")) leaks.push(where);
      if (typeof value === "object" && value !== null) {
        for (const [key, child] of Object.entries(value)) walk(`${where}.${key}`, child);
      }
    };
    for (const resource of run.resources.filter((r) => !r.type.startsWith("tls:"))) {
      walk(`${resource.type} ${resource.name}`, resource.inputs);
    }
    expect(leaks).toEqual([]);
    const vectorContainers = run.resources.filter(
      (r) => r.type === containerType && /-(aggregator|agent)-\d+$/.test(String(r.inputs.name)),
    );
    for (const container of vectorContainers) {
      const uploads = container.inputs.uploads as { file: string; content: unknown }[] | { value: unknown };
      const keyUpload = (reveal(uploads) as { file: string; content: unknown }[]).find(
        (u) => u.file === vectorPaths.nodeKey,
      );
      expect(String(keyUpload?.content)).toMatch(/^mock-private-key-pem:/);
      expect(
        isSecretValue(uploads) ||
          isSecretValue((uploads as { content: unknown }[]).find?.((u) => isSecretValue(u.content))),
      ).toBe(true);
    }
    expect(run.secretOutputs.sort()).toEqual(["hostAgentCertPem", "hostAgentKeyPem", "hostAgentVectorYaml"]);
    expect(run.outputs.caCertPem).toBe("mock-ca-cert-pem:pki-ca");
    expect(String(run.outputs.hostAgentVectorYaml)).toContain("mock-private-key-pem:host-agent-key");
  });

  it("points every agent at the balancer's alias and ports, never at an aggregator", () => {
    for (const agent of containers(run).filter((c) => /-agent-\d+$/.test(c.name))) {
      const agentYaml = parse(String(agent.uploads.find((u) => u.file === vectorPaths.config)?.content));
      expect(agentYaml.sinks.to_balancer.routing.endpoints).toEqual([
        `${prefix}-balancer:${config.vectorPort}`,
      ]);
      expect(agentYaml.sinks.metrics_to_balancer.endpoint).toBe(
        `https://${prefix}-balancer:${config.remoteWritePort}/`,
      );
    }
  });

  it("gives each agent a demo app writing, on a volume of their own, the log file the agent reads read-only", () => {
    for (let i = 0; i < config.agentCount; i++) {
      const agent = containerNamed(run, `${prefix}-agent-${i}`);
      const app = containerNamed(run, `${prefix}-demo-app-${i}`);
      const logVolume = `${prefix}-demo-app-${i}-logs`;
      expect(app.volumes).toEqual([{ volumeName: logVolume, containerPath: demoAppPaths.logDir }]);
      expect(agent.volumes).toContainEqual({
        volumeName: logVolume,
        containerPath: demoAppPaths.logDir,
        readOnly: true,
      });
      // The app runs the Vector image's bash, and names this agent in every line it writes.
      expect(app.image).toBe(agent.image);
      expect(app.entrypoints?.slice(0, 2)).toEqual(["bash", "-c"]);
      expect(app.entrypoints?.[2]).toContain(demoAppPaths.logFile);
      expect(app.entrypoints?.[2]).toContain(`${prefix}-agent-${i} demo event`);
      const agentYaml = parse(String(agent.uploads.find((u) => u.file === vectorPaths.config)?.content));
      expect(agentYaml.sources.app_logs.include).toEqual([demoAppPaths.logFile]);
    }
    expect(run.outputs.demoAppContainerNames).toHaveLength(config.agentCount);
  });

  it("gives a host agent a ready vector.yaml that dials the published ports and validates", () => {
    const hostYaml = parse(String(run.outputs.hostAgentVectorYaml));
    expect(vectorConfigProblems(hostYaml)).toEqual([]);
    expect(hostYaml.sinks.to_balancer.routing.endpoints).toEqual([`localhost:${config.vectorPort}`]);
    expect(run.outputs.statsUrl).toBe(`http://localhost:${config.statsPort}/stats`);
  });

  it("uses official images with pulls, or local images kept on destroy", () => {
    const images = run.resources.filter((r) => r.type === "docker:index/remoteImage:RemoteImage");
    expect(images.map((i) => i.inputs.name).sort()).toEqual([config.haproxyImage, config.vectorImage].sort());
    for (const image of images) expect(image.inputs.keepLocally).toBe(config.useLocalImages);
    expect(containerNamed(run, `${prefix}-haproxy`).image).toBe(`sha256:mock-${config.haproxyImage}`);
  });
});

describe("scaling", () => {
  const identity = (r: DeclaredResource): string => `${r.type}::${r.name}`;
  const byIdentity = (run: MockRun<unknown>): Map<string, string> =>
    new Map(run.resources.map((r) => [identity(r), JSON.stringify(r.inputs)]));

  it("from 2 to 3 aggregators adds only aggregator-2's resources and changes no other input", async () => {
    const before = byIdentity(await runLab({ aggregators: "2" }));
    const after = byIdentity(await runLab({ aggregators: "3" }));
    const added = [...after.keys()].filter((k) => !before.has(k));
    const removed = [...before.keys()].filter((k) => !after.has(k));
    const changed = [...before.keys()].filter((k) => after.has(k) && after.get(k) !== before.get(k));
    expect(removed).toEqual([]);
    expect(added.length).toBeGreaterThan(0);
    expect(added.filter((k) => !/::aggregator-2(-|$)/.test(k))).toEqual([]);
    // Component resources record no inputs; every custom resource (HAProxy included) is unchanged.
    expect(changed).toEqual([]);
    expect(after.get(`${containerType}::haproxy`)).toBe(before.get(`${containerType}::haproxy`));
  });

  it("from 3 to 2 removes only aggregator-2's resources", async () => {
    const before = byIdentity(await runLab({ aggregators: "3" }));
    const after = byIdentity(await runLab({ aggregators: "2" }));
    const removed = [...before.keys()].filter((k) => !after.has(k));
    expect(removed.length).toBeGreaterThan(0);
    expect(removed.every((k) => /::aggregator-2(-|$)/.test(k))).toBe(true);
  });
});

describe("CA rotation phases (caGeneration, caAlsoTrusted)", () => {
  const prefix = "vector-ha-lab-dev";
  const uploadOf = (run: MockRun<unknown>, container: string, file: string): string =>
    String(reveal(containerNamed(run, container).uploads.find((u) => u.file === file)?.content));
  const names = (run: MockRun<unknown>, type: string): string[] =>
    run.resources
      .filter((r) => r.type === type)
      .map((r) => r.name)
      .sort();

  it("trust: a second CA in every container's bundle, certificates still signed by the first", async () => {
    const run = await runLab({ caGeneration: "1", caAlsoTrusted: "2" });
    expect(names(run, "tls:index/selfSignedCert:SelfSignedCert")).toEqual(["pki-ca", "pki-ca-g2"]);
    for (const container of [`${prefix}-aggregator-0`, `${prefix}-agent-1`]) {
      expect(uploadOf(run, container, vectorPaths.caCert)).toBe(
        "mock-ca-cert-pem:pki-camock-ca-cert-pem:pki-ca-g2",
      );
      expect(uploadOf(run, container, vectorPaths.nodeCert)).toMatch(
        /^mock-cert-pem:(aggregator|agent)-\d-cert$/,
      );
    }
    const signed = run.resources.find((r) => r.name === "aggregator-0-cert");
    expect(reveal(signed?.inputs.caCertPem)).toBe("mock-ca-cert-pem:pki-ca");
    expect(run.outputs.caCertPem).toBe("mock-ca-cert-pem:pki-camock-ca-cert-pem:pki-ca-g2");
  });

  it("sign: new keys and certificates from the new CA, the old CA still trusted; retire: only the new CA", async () => {
    const sign = await runLab({ caGeneration: "2", caAlsoTrusted: "1" });
    const cert = sign.resources.find((r) => r.name === "aggregator-0-g2-cert");
    expect(reveal(cert?.inputs.caCertPem)).toBe("mock-ca-cert-pem:pki-ca-g2");
    expect(reveal(cert?.inputs.caPrivateKeyPem)).toBe("mock-private-key-pem:pki-ca-g2-key");
    expect(names(sign, "tls:index/privateKey:PrivateKey")).toContain("aggregator-0-g2-key");
    expect(names(sign, "tls:index/privateKey:PrivateKey")).not.toContain("aggregator-0-key");
    expect(uploadOf(sign, `${prefix}-agent-0`, vectorPaths.nodeKey)).toBe(
      "mock-private-key-pem:agent-0-g2-key",
    );
    expect(uploadOf(sign, `${prefix}-agent-0`, vectorPaths.caCert)).toBe(
      "mock-ca-cert-pem:pki-ca-g2mock-ca-cert-pem:pki-ca",
    );
    const retire = await runLab({ caGeneration: "2" });
    expect(names(retire, "tls:index/selfSignedCert:SelfSignedCert")).toEqual(["pki-ca-g2"]);
    expect(uploadOf(retire, `${prefix}-aggregator-1`, vectorPaths.caCert)).toBe("mock-ca-cert-pem:pki-ca-g2");
    expect(String(retire.outputs.hostAgentVectorYaml)).toContain("mock-private-key-pem:host-agent-g2-key");
  });

  it("generation 1 keeps the resource names stacks made before rotation existed have", async () => {
    const run = await runLab({});
    expect(names(run, "tls:index/selfSignedCert:SelfSignedCert")).toEqual(["pki-ca"]);
    expect(names(run, "tls:index/privateKey:PrivateKey")).toContain("pki-ca-key");
    expect(names(run, "tls:index/locallySignedCert:LocallySignedCert")).toContain("aggregator-0-cert");
  });
});

describe("bad stack config", () => {
  /** Runs the program under mocks with this config; what it threw and what it declared. */
  async function refused(config: Record<string, string>): Promise<{ thrown: Error; resources: unknown[] }> {
    let thrown: unknown;
    const run = await runUnderMocks(
      () => {
        try {
          return buildLab(readLabConfig());
        } catch (error) {
          thrown = error;
          return {};
        }
      },
      { config },
    );
    return { thrown: thrown as Error, resources: run.resources };
  }

  it("stops the program with one RunError listing every problem, before any resource is declared", async () => {
    const { thrown, resources } = await refused({ aggregators: "0", balance: "random" });
    expect(pulumi.RunError.isInstance(thrown)).toBe(true);
    expect(thrown.message).toMatch(/aggregators: got "0".*\n.*balance: got "random"/);
    expect(resources).toEqual([]);
  });

  it("refuses a key of the lab's namespace that is no setting (a typo), with the setting it meant", async () => {
    const { thrown, resources } = await refused({ aggregator: "3" });
    expect(pulumi.RunError.isInstance(thrown)).toBe(true);
    expect(thrown.message).toMatch(
      /aggregator: got "3", but the lab has no setting of that name; did you mean aggregators\?/,
    );
    expect(resources).toEqual([]);
  });

  it("reads a valid stack config from Pulumi's config, as `pulumi up` passes it", async () => {
    const run = await runUnderMocks(() => buildLab(readLabConfig()), {
      config: { aggregators: "4", agents: "1" },
    });
    expect(containers(run).filter((c) => c.name.includes("-aggregator-"))).toHaveLength(4);
  });
});
