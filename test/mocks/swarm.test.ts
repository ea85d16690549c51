/**
 * The swarm target's resource graph under Pulumi's mocks: three services on one overlay network, found
 * by Docker's DNS, their files as Swarm configs and secrets named after their content, every key a
 * secret, agents listing every balancer, and what scaling or a changed setting touches.
 */
import * as crypto from "crypto";
import { parse } from "yaml";
import { haproxyConfigPath, vectorPaths } from "../../components/constants";
import { buildLab } from "../../components/lab";
import { parseLabConfig } from "../../components/settings";
import type { SwarmLabOutputs } from "../../components/swarmLab";
import { runUnderMocks, type DeclaredResource, type MockRun } from "../support/pulumiMocks";
import { isSecretValue, reveal } from "../support/wireValues";

const manager = "unix:///run/vector-ha-lab/cluster/node-1/docker.sock";
const prefix = "vector-ha-lab-dev";

interface ServiceInputs {
  name: string;
  mode: { replicated: { replicas: number } };
  endpointSpec: {
    mode: string;
    ports?: { targetPort: number; publishedPort: number; publishMode: string }[];
  };
  taskSpec: {
    containerSpec: {
      image: string;
      hostname?: string;
      configs?: { configId: string; fileName: string; fileMode: number }[];
      secrets?: { secretId: string; fileName: string; fileMode: number }[];
    };
    networksAdvanceds: { id: string }[];
    placement: { maxReplicas?: number; prefs: string[] };
  };
  updateConfig: { parallelism: number; order: string };
}

const runSwarm = (raw: Record<string, string>): Promise<MockRun<unknown>> =>
  runUnderMocks(
    () => buildLab(parseLabConfig({ target: "swarm", dockerHost: manager, ...raw })) as SwarmLabOutputs,
  );

const ofType = (run: MockRun<unknown>, type: string): DeclaredResource[] =>
  run.resources.filter((r) => r.type === `docker:index/${type}`);
const service = (run: MockRun<unknown>, name: string): ServiceInputs => {
  const found = ofType(run, "service:Service").find((r) => r.inputs.name === name);
  if (!found) throw new Error(`no service ${name}`);
  return reveal(found.inputs) as ServiceInputs;
};
/** A config's or secret's text, by the id the mocks gave it (`<pulumi name>-id`). */
const fileText = (run: MockRun<unknown>, id: string): string => {
  const found = run.resources.find((r) => `${r.name}-id` === id);
  if (!found) throw new Error(`no object with id ${id}`);
  return Buffer.from(reveal(found.inputs.data) as string, "base64").toString("utf8");
};
/** The configs (by name, less their content digest) that `after` declares anew and no longer declares. */
function configsChanged(
  before: MockRun<unknown>,
  after: MockRun<unknown>,
): { added: string[]; removed: string[] } {
  const names = (r: MockRun<unknown>) => new Set(ofType(r, "serviceConfig:ServiceConfig").map((c) => c.name));
  const [was, is] = [names(before), names(after)];
  const undigested = (list: string[]) => list.map((n) => n.replace(/-[0-9a-f]{10}$/, ""));
  return {
    added: undigested([...is].filter((n) => !was.has(n))),
    removed: undigested([...was].filter((n) => !is.has(n))),
  };
}

const configAt = (run: MockRun<unknown>, serviceName: string, path: string): string => {
  const ref = service(run, serviceName).taskSpec.containerSpec.configs?.find((c) => c.fileName === path);
  if (!ref) throw new Error(`${serviceName} reads no config at ${path}`);
  return fileText(run, ref.configId);
};

describe("the lab on the swarm target (mocks)", () => {
  let run: MockRun<unknown>;
  beforeAll(async () => {
    run = await runSwarm({ aggregators: "3", agents: "2", balancers: "2" });
  });

  it("declares no container, one overlay network and three services through the manager", () => {
    expect(ofType(run, "container:Container")).toEqual([]);
    const networks = ofType(run, "network:Network");
    expect(networks.map((n) => [n.inputs.name, n.inputs.driver, n.inputs.attachable])).toEqual([
      [`${prefix}-network`, "overlay", true],
    ]);
    expect(
      ofType(run, "service:Service")
        .map((s) => s.inputs.name)
        .sort(),
    ).toEqual([`${prefix}-agents`, `${prefix}-aggregators`, `${prefix}-balancer`].sort());
    expect(
      run.resources.filter((r) => r.type === "pulumi:providers:docker").map((p) => p.inputs.host),
    ).toEqual([manager]);
  });

  it("runs `aggregators` aggregators spread over nodes and `balancers` balancers one per node, ports in host mode", () => {
    const aggregators = service(run, `${prefix}-aggregators`);
    expect(aggregators.mode.replicated.replicas).toBe(3);
    expect(aggregators.taskSpec.placement.prefs).toEqual(["spread=node.id"]);
    expect(aggregators.taskSpec.placement.maxReplicas).toBeUndefined();
    const balancers = service(run, `${prefix}-balancer`);
    expect(balancers.mode.replicated.replicas).toBe(2);
    expect(balancers.taskSpec.placement.maxReplicas).toBe(1);
    expect(balancers.endpointSpec.ports?.map((p) => [p.targetPort, p.publishedPort, p.publishMode])).toEqual([
      [19093, 19093, "host"],
      [19094, 19094, "host"],
      [8404, 8404, "host"],
    ]);
    // No IPVS on such hosts: every service is found by DNS round robin, no virtual IP.
    for (const name of ["aggregators", "balancer", "agents"]) {
      const spec = service(run, `${prefix}-${name}`);
      expect(spec.endpointSpec.mode).toBe("dnsrr");
      // The network by its id (the provider deprecates names there).
      expect(spec.taskSpec.networksAdvanceds).toEqual([{ id: "network-id" }]);
      expect(spec.updateConfig.parallelism).toBe(1);
    }
    expect(aggregators.updateConfig.order).toBe("start-first");
  });

  it("points HAProxy at the aggregators' service name, and agents at every balancer task by name", () => {
    expect(configAt(run, `${prefix}-balancer`, haproxyConfigPath)).toContain(
      `server-template aggregator 1-16 ${prefix}-aggregators:19092`,
    );
    const agent = parse(configAt(run, `${prefix}-agents`, vectorPaths.config)) as {
      sinks: { to_balancer: { routing: { endpoints: string[] } }; metrics_to_balancer: { endpoint: string } };
    };
    expect(agent.sinks.to_balancer.routing.endpoints).toEqual([
      `${prefix}-balancer-1:19093`,
      `${prefix}-balancer-2:19093`,
    ]);
    expect(agent.sinks.metrics_to_balancer.endpoint).toBe(`https://${prefix}-balancer:19094/`);
    expect(service(run, `${prefix}-balancer`).taskSpec.containerSpec.hostname).toBe(
      "{{.Service.Name}}-{{.Task.Slot}}",
    );
    // Passthrough: the aggregators' certificate must carry every name an agent dials.
    const request = run.resources.find(
      (r) => r.type === "tls:index/certRequest:CertRequest" && r.name === "aggregators-csr",
    );
    expect(request?.inputs.dnsNames).toEqual(
      expect.arrayContaining([`${prefix}-balancer`, `${prefix}-balancer-1`, `${prefix}-balancer-2`]),
    );
  });

  it("mounts certificates and keys as secrets readable by their owner only, configs read-only, keys kept secret", () => {
    for (const name of ["aggregators", "agents"]) {
      const spec = service(run, `${prefix}-${name}`).taskSpec.containerSpec;
      expect(spec.secrets?.map((s) => [s.fileName, s.fileMode]).sort()).toEqual(
        [
          [vectorPaths.caCert, 0o400],
          [vectorPaths.nodeCert, 0o400],
          [vectorPaths.nodeKey, 0o400],
        ].sort(),
      );
      expect(spec.configs?.every((c) => c.fileMode === 0o444)).toBe(true);
    }
    for (const secret of ofType(run, "secret:Secret")) expect(isSecretValue(secret.inputs.data)).toBe(true);
  });

  it("names each config after a digest of what it holds, and labels each secret with its certificate's", () => {
    for (const config of ofType(run, "serviceConfig:ServiceConfig")) {
      const text = Buffer.from(config.inputs.data as string, "base64").toString("utf8");
      const digest = crypto.createHash("sha256").update(text).digest("hex").slice(0, 10);
      expect(config.inputs.name).toMatch(new RegExp(`^vhl-dev-[a-z-]+-${digest}$`));
      expect(config.name).toBe(config.inputs.name);
    }
    const keySecret = ofType(run, "secret:Secret").find((s) => s.name === "vhl-dev-agg-key");
    const certPem = "mock-cert-pem:aggregators-cert";
    const labels = reveal(keySecret?.inputs.labels) as { label: string; value: string }[];
    expect(labels).toContainEqual({
      label: "vector-ha-lab.version",
      value: crypto.createHash("sha256").update(certPem).digest("hex").slice(0, 10),
    });
  });

  it("on scale-out, changes only the aggregators' replica count", async () => {
    const scaled = await runSwarm({ aggregators: "4", agents: "2", balancers: "2" });
    const differing = run.resources
      .map((r, i) => [r, scaled.resources[i]] as const)
      .filter(([a, b]) => JSON.stringify(reveal(a.inputs)) !== JSON.stringify(reveal(b.inputs)))
      .map(([a]) => a.name);
    expect(differing).toEqual(["aggregators"]);
  });

  it("when a rendered file changes, declares a new config under a new name for the services using it only", async () => {
    const changed = await runSwarm({
      aggregators: "3",
      agents: "2",
      balancers: "2",
      maxConnectionAgeSecs: "30",
    });
    expect(configsChanged(run, changed)).toEqual({
      added: ["vhl-dev-agg-yaml"],
      removed: ["vhl-dev-agg-yaml"],
    });
  });

  it("carries a changed `balance` in a new haproxy.cfg config, for the balancers only", async () => {
    const changed = await runSwarm({ aggregators: "3", agents: "2", balancers: "2", balance: "source" });
    expect(configsChanged(run, changed)).toEqual({ added: ["vhl-dev-lb-cfg"], removed: ["vhl-dev-lb-cfg"] });
    expect(
      configAt(changed, `${prefix}-balancer`, haproxyConfigPath).match(/^\s*balance source$/gm),
    ).toHaveLength(2);
  });
});
