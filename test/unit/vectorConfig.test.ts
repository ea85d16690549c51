import { parse } from "yaml";
import {
  aggregatorPorts,
  demoAppPaths,
  minimumDiskBufferBytes,
  vectorPaths,
} from "../../components/constants";
import {
  agentVectorConfig,
  aggregatorVectorConfig,
  componentIds,
  hostAgentVectorConfig,
  receivedLogsPath,
  renderVectorYaml,
  type VectorConfig,
} from "../../components/vectorConfig";
import { vectorConfigProblems, vectorReference } from "../support/vectorReference";
import { devAgentSpec } from "../support/labSpecs";

const agentSpec = devAgentSpec;

/** What Vector would read: the YAML text parsed back. */
const asVectorReadsIt = (config: VectorConfig): Record<string, unknown> => parse(renderVectorYaml(config));

describe("rendered Vector configs conform to Vector 0.57's reference", () => {
  it("uses the reference of the Vector version the lab pins", () => {
    expect(vectorReference.vector_version).toBe("0.57.0");
  });

  const configs: Record<string, VectorConfig> = {
    aggregator: aggregatorVectorConfig({
      nodeName: "vector-ha-lab-dev-aggregator-0",
      maxConnectionAgeSecs: 60,
    }),
    "agent with a disk buffer": agentVectorConfig(agentSpec),
    "agent of the swarm target, dialling every balancer": agentVectorConfig({
      ...agentSpec,
      balancerHosts: ["vector-ha-lab-dev-balancer-1", "vector-ha-lab-dev-balancer-2"],
    }),
    "host agent with a memory buffer and inline PEM": hostAgentVectorConfig({
      ...agentSpec,
      agentName: "vector-ha-lab-dev-host-agent",
      eventIntervalSecs: 1,
      balancerHost: "localhost",
      tls: { caFile: "-----BEGIN CERTIFICATE-----\n...", crtFile: "pem", keyFile: "pem" },
    }),
  };
  it.each(Object.entries(configs))("%s", (_, config) => {
    expect(vectorConfigProblems(asVectorReadsIt(config))).toEqual([]);
  });
});

describe("the validator rejects what Vector would reject", () => {
  const aggregator = (): Record<string, unknown> =>
    asVectorReadsIt(aggregatorVectorConfig({ nodeName: "a", maxConnectionAgeSecs: 60 }));

  it("an unknown option", () => {
    const config = aggregator() as { sources: Record<string, Record<string, unknown>> };
    config.sources[componentIds.fromAgents].max_connections = 10;
    expect(vectorConfigProblems(config)).toEqual([
      `sources.${componentIds.fromAgents}.max_connections: unknown option`,
    ]);
  });

  it("a wrong type and an enum value outside its set", () => {
    const config = asVectorReadsIt(agentVectorConfig(agentSpec)) as {
      sinks: Record<string, Record<string, unknown>>;
    };
    (config.sinks[componentIds.toBalancer].tls as Record<string, unknown>).verify_certificate = "yes";
    (config.sinks[componentIds.toBalancer].buffer as Record<string, unknown>).when_full = "wait";
    expect(vectorConfigProblems(config)).toEqual([
      `sinks.${componentIds.toBalancer}.tls.verify_certificate: "yes" is not a bool`,
      `sinks.${componentIds.toBalancer}.buffer.when_full: "wait" is not a enum (block, drop_newest)`,
    ]);
  });

  it("a missing required option, and one that applies only under another value", () => {
    const config = asVectorReadsIt(
      hostAgentVectorConfig({ ...agentSpec, agentName: "host", eventIntervalSecs: 1 }),
    ) as {
      sources: Record<string, Record<string, unknown>>;
    };
    delete config.sources[componentIds.demoLogs].format;
    expect(vectorConfigProblems(config)).toEqual([
      `sources.${componentIds.demoLogs}.lines: only applies when format = "shuffle"`,
      `sources.${componentIds.demoLogs}.sequence: only applies when format = "shuffle"`,
      `sources.${componentIds.demoLogs}.format: required option missing`,
    ]);
  });

  it("an unknown component type and a sink fed by nothing", () => {
    const config = aggregator() as { sinks: Record<string, Record<string, unknown>> };
    config.sinks.extra = { type: "elasticsearch", inputs: ["x"] };
    config.sinks[componentIds.receivedLogs].inputs = ["nowhere"];
    expect(vectorConfigProblems(config)).toEqual([
      `sinks.${componentIds.receivedLogs}.inputs: no source named nowhere`,
      'sinks.extra.type: "elasticsearch" is not a known sink type',
    ]);
  });
});

describe("aggregator config", () => {
  const config = aggregatorVectorConfig({
    nodeName: "vector-ha-lab-dev-aggregator-1",
    maxConnectionAgeSecs: 45,
  });
  const fromAgents = config.sources[componentIds.fromAgents];
  const remoteWrite = config.sources[componentIds.remoteWrite];

  it("listens where HAProxy's backends send traffic, with mutual TLS on both sources", () => {
    expect(fromAgents.address).toBe(`0.0.0.0:${aggregatorPorts.vector}`);
    expect(remoteWrite.address).toBe(`0.0.0.0:${aggregatorPorts.remoteWrite}`);
    for (const source of [fromAgents, remoteWrite]) {
      expect(source.tls).toEqual({
        enabled: true,
        ca_file: vectorPaths.caCert,
        crt_file: vectorPaths.nodeCert,
        key_file: vectorPaths.nodeKey,
        verify_certificate: true,
      });
    }
  });

  it("recycles agent connections after the configured age, so scale-out spreads load", () => {
    expect(fromAgents.keepalive).toEqual({ max_connection_age_secs: 45 });
  });

  it("serves its API on every interface, for HAProxy's and Docker's /health checks", () => {
    expect(config.api).toEqual({ enabled: true, address: `0.0.0.0:${aggregatorPorts.api}` });
  });

  it("writes what agents send to a file named after the node", () => {
    const file = config.sinks[componentIds.receivedLogs];
    expect(file.inputs).toEqual([componentIds.fromAgents]);
    expect(file.path).toBe(receivedLogsPath("vector-ha-lab-dev-aggregator-1"));
    expect(file.path).toContain("vector-ha-lab-dev-aggregator-1");
  });

  it("answers an agent only once its events are in the file (acknowledged end to end)", () => {
    const file = config.sinks[componentIds.receivedLogs];
    expect(file.acknowledgements).toEqual({ enabled: true });
    // Vector's own source, which can hold its answer until the sink has written.
    expect(fromAgents.type).toBe("vector");
  });
});

describe("agent config", () => {
  const config = agentVectorConfig(agentSpec);
  const toBalancer = config.sinks[componentIds.toBalancer];
  const metrics = config.sinks[componentIds.metricsToBalancer];

  it("sends logs and metrics to the balancer only, never to an aggregator directly", () => {
    expect(toBalancer.routing).toEqual({ endpoints: ["vector-ha-lab-dev-balancer:19093"] });
    expect(toBalancer.address).toBeUndefined();
    expect(metrics.endpoint).toBe("https://vector-ha-lab-dev-balancer:19094/");
  });

  it("with several balancers (the swarm target), lists every one and retries a failed one within 5 s", () => {
    const swarm = agentVectorConfig({
      ...agentSpec,
      balancerHosts: ["vector-ha-lab-dev-balancer-1", "vector-ha-lab-dev-balancer-2"],
    });
    expect(swarm.sinks[componentIds.toBalancer].routing).toEqual({
      endpoints: ["vector-ha-lab-dev-balancer-1:19093", "vector-ha-lab-dev-balancer-2:19093"],
      strategy: "load_balance",
      // Vector's default backs off to an hour: a balancer back on its node would stay unused that long.
      health: { retry_initial_backoff_secs: 1, retry_max_duration_secs: 5 },
    });
    // A request to a balancer whose host lost power waits out its timeout before it is retried.
    for (const sink of [componentIds.toBalancer, componentIds.metricsToBalancer]) {
      expect(swarm.sinks[sink].request).toEqual({ retry_max_duration_secs: 5, timeout_secs: 10 });
    }
    // Remote write takes one endpoint: the balancers' service name, which resolves to every one.
    expect(swarm.sinks[componentIds.metricsToBalancer].endpoint).toBe(
      "https://vector-ha-lab-dev-balancer:19094/",
    );
  });

  it("verifies the aggregator's certificate and the name it dialled, and presents its own", () => {
    for (const sink of [toBalancer, metrics]) {
      expect(sink.tls).toMatchObject({
        verify_certificate: true,
        verify_hostname: true,
        key_file: vectorPaths.nodeKey,
      });
    }
  });

  it("ships its demo app's log file with end-to-end acknowledgements through a disk buffer", () => {
    expect(config.sources[componentIds.appLogs]).toEqual({
      type: "file",
      include: [demoAppPaths.logFile],
      read_from: "beginning",
    });
    expect(toBalancer.inputs).toEqual([componentIds.appLogs]);
    expect(toBalancer.buffer).toEqual({ type: "disk", max_size: minimumDiskBufferBytes, when_full: "block" });
    expect(toBalancer.acknowledgements).toEqual({ enabled: true });
    expect(config.data_dir).toBe(vectorPaths.dataDir);
  });

  it("buffers metrics on disk but asks no acknowledgement of sources that cannot give one", () => {
    expect(metrics.inputs).toEqual([componentIds.hostMetrics, componentIds.internalMetrics]);
    expect(metrics.buffer).toEqual(toBalancer.buffer);
    expect(metrics.acknowledgements).toEqual({ enabled: false });
    // The aggregator's remote-write source answers the sink's GET health check 405.
    expect(metrics.healthcheck).toEqual({ enabled: false });
  });

  it("never reads a source that cannot acknowledge into a sink that asks for acknowledgements", () => {
    for (const sink of Object.values(config.sinks)) {
      if (!(sink.acknowledgements as { enabled: boolean }).enabled) continue;
      for (const input of sink.inputs as string[]) expect(config.sources[input].type).toBe("file");
    }
  });

  it("survives the round trip through YAML unchanged", () => {
    expect(parse(renderVectorYaml(config))).toEqual(config);
  });
});

describe("host agent config", () => {
  const config = hostAgentVectorConfig({
    ...agentSpec,
    agentName: "vector-ha-lab-dev-host-agent",
    balancerHost: "localhost",
    eventIntervalSecs: 1,
  });

  it("keeps no state: memory buffers, no acknowledgements, and the folder it starts in as data_dir", () => {
    expect(config.data_dir).toBe(".");
    for (const sink of Object.values(config.sinks)) {
      expect((sink.buffer as { type: string }).type).toBe("memory");
      expect(sink.acknowledgements).toEqual({ enabled: false });
    }
  });

  it("produces sequence-numbered demo events that carry its name, to the published ports", () => {
    const demo = config.sources[componentIds.demoLogs];
    expect(demo).toMatchObject({ type: "demo_logs", format: "shuffle", sequence: true });
    expect((demo.lines as string[]).every((line) => line.includes("vector-ha-lab-dev-host-agent"))).toBe(
      true,
    );
    expect(config.sinks[componentIds.toBalancer].routing).toEqual({ endpoints: ["localhost:19093"] });
  });
});
