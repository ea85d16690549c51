/**
 * The data-path benchmark's plan and its agents' vector.yaml: every target sends where it should, and
 * the rendered config is one Vector 0.57 accepts (its reference data, and the real binary when the
 * bundle is prepared) whose events the benchmark can count.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { vectorPaths } from "../../components/constants";
import { componentIds, containerTlsFiles, renderVectorYaml } from "../../components/vectorConfig";
import { parseReceivedEvent } from "../../scripts/bench/arrivalTally";
import {
  agentEndpoints,
  dataPathPlan,
  dataPathTargets,
  plannedRuns,
  type DataPathEndpoints,
} from "../../scripts/bench/dataPathPlan";
import { loadAgentVectorConfig } from "../../scripts/bench/loadAgentConfig";
import { bundledVectorBinary } from "../support/bundledVector";
import { vectorConfigProblems } from "../support/vectorReference";

const endpoints: DataPathEndpoints = {
  balancer: "vector-ha-lab-bench-balancer:40001",
  aggregators: ["vector-ha-lab-bench-aggregator-0:19092", "vector-ha-lab-bench-aggregator-1:19092"],
};

describe("data-path plan", () => {
  it("smoke: 1 and 2 agents, one round; full: up to 4 agents, the rounds asked for", () => {
    const smoke = dataPathPlan({ smoke: true, rounds: 3 });
    expect(smoke.agentCounts).toEqual([1, 2]);
    expect(smoke.rounds).toBe(1);
    const full = dataPathPlan({ smoke: false, rounds: 5 });
    expect(full.agentCounts).toEqual([1, 2, 4]);
    expect(full.rounds).toBe(5);
    expect(full.eventsPerAgent).toBeGreaterThan(smoke.eventsPerAgent);
  });

  it("runs every target at every agent count once per round, first target rotating", () => {
    const plan = dataPathPlan({ smoke: false, rounds: 2 });
    const runs = plannedRuns(plan);
    expect(runs).toHaveLength(2 * 3 * 3);
    for (const round of [1, 2]) {
      for (const agents of [1, 2, 4]) {
        const targets = runs.filter((r) => r.round === round && r.agents === agents).map((r) => r.target);
        expect([...targets].sort()).toEqual([...dataPathTargets].sort());
      }
    }
    const firstOfEachBlock = [0, 3, 6].map((i) => runs[i].target);
    expect(new Set(firstOfEachBlock).size).toBe(3);
  });

  it("sends through HAProxy, to one aggregator each round-robin, or to every aggregator", () => {
    expect([0, 1, 2].map((i) => agentEndpoints("balancer", i, endpoints))).toEqual([
      [endpoints.balancer],
      [endpoints.balancer],
      [endpoints.balancer],
    ]);
    expect([0, 1, 2, 3].map((i) => agentEndpoints("direct", i, endpoints))).toEqual([
      [endpoints.aggregators[0]],
      [endpoints.aggregators[1]],
      [endpoints.aggregators[0]],
      [endpoints.aggregators[1]],
    ]);
    expect(agentEndpoints("client-side", 3, endpoints)).toEqual(endpoints.aggregators);
    expect(() => agentEndpoints("direct", 0, { ...endpoints, aggregators: [] })).toThrow(/no aggregators/);
  });
});

describe("benchmark agent config", () => {
  const spec = {
    agentName: "vector-ha-lab-bench-data-path-1a2b-load-3-0",
    eventCount: 20000,
    endpoints: endpoints.aggregators,
    tls: containerTlsFiles,
  };
  const asVectorReadsIt = (config: ReturnType<typeof loadAgentVectorConfig>) =>
    parse(renderVectorYaml(config)) as {
      sources: Record<string, Record<string, unknown>>;
      sinks: Record<string, Record<string, unknown>>;
    };

  it.each([
    ["one endpoint", [endpoints.balancer]],
    ["every aggregator", endpoints.aggregators],
  ])("conforms to Vector 0.57's reference with %s", (_, list) => {
    expect(
      vectorConfigProblems(asVectorReadsIt(loadAgentVectorConfig({ ...spec, endpoints: list }))),
    ).toEqual([]);
  });

  it("sends a fixed count of numbered events without pause, to the endpoints given", () => {
    const config = asVectorReadsIt(loadAgentVectorConfig(spec));
    expect(config.sources[componentIds.demoLogs]).toMatchObject({
      count: 20000,
      interval: 0,
      sequence: true,
    });
    expect(config.sinks[componentIds.toBalancer].routing).toEqual({
      endpoints: endpoints.aggregators,
      strategy: "load_balance",
    });
  });

  it("presents the client certificate and verifies the aggregator's certificate and name", () => {
    const tls = asVectorReadsIt(loadAgentVectorConfig(spec)).sinks[componentIds.toBalancer].tls;
    expect(tls).toMatchObject({
      enabled: true,
      verify_certificate: true,
      verify_hostname: true,
      ca_file: vectorPaths.caCert,
      crt_file: vectorPaths.nodeCert,
      key_file: vectorPaths.nodeKey,
    });
  });

  it("produces events the benchmark attributes to this agent", () => {
    const [line] = asVectorReadsIt(loadAgentVectorConfig(spec)).sources[componentIds.demoLogs]
      .lines as string[];
    // What demo_logs makes of it with `sequence: true`, as an aggregator's file sink writes it.
    const written = JSON.stringify({
      host: "x",
      message: `41 ${line}`,
      service: "vector",
      source_type: "demo_logs",
      timestamp: "2026-11-26T19:51:58.998681679Z",
    });
    expect(parseReceivedEvent(written)).toMatchObject({ agent: spec.agentName, sequence: 41 });
  });

  it("refuses a count that is not a positive whole number, and no endpoint", () => {
    expect(() => loadAgentVectorConfig({ ...spec, eventCount: 0 })).toThrow(/eventCount: got 0/);
    expect(() => loadAgentVectorConfig({ ...spec, eventCount: 1.5 })).toThrow(/eventCount/);
    expect(() => loadAgentVectorConfig({ ...spec, endpoints: [] })).toThrow(/endpoints: got none/);
  });

  const vector = bundledVectorBinary();
  (vector ? it : it.skip)("passes the real Vector's validation with no WARN or ERROR", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "load-agent-validate-"));
    try {
      const file = path.join(dir, "vector.yaml");
      fs.writeFileSync(file, renderVectorYaml(loadAgentVectorConfig(spec)));
      const result = spawnSync(vector!, ["validate", "--no-environment", file], {
        encoding: "utf8",
        env: { ...process.env, VECTOR_INTERNAL_LOG_RATE_LIMIT: "0", NO_COLOR: "1" },
      });
      const output = `${result.stdout}${result.stderr}`;
      expect(output.split("\n").filter((l) => / (WARN|ERROR) /.test(l))).toEqual([]);
      expect(result.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
