import type { BackendServerStats } from "../../scripts/haproxyStats";
import type { LabContainer } from "../../scripts/labStatus";
import { parsePrometheusText } from "../../scripts/prometheusText";
import { assembleSnapshot, exporterUrl, type SnapshotParts } from "../../scripts/watchSources";

const aggregator = (index: number, address: string, state = "running"): LabContainer => ({
  name: `lab-aggregator-${index}`,
  role: "aggregator",
  state,
  health: state === "running" ? "healthy" : "-",
  addresses: [address],
});
const agentContainer: LabContainer = {
  name: "lab-agent-0",
  role: "agent",
  state: "running",
  health: "-",
  addresses: ["172.20.0.9"],
};

function server(backend: string, address: string, status: string, currentSessions = 1): BackendServerStats {
  return {
    backend,
    server: "aggregator1",
    address: `${address}:19092`,
    status,
    currentSessions,
    totalSessions: 5,
    bytesIn: 0,
    bytesOut: 0,
  };
}

function parts(
  containers: LabContainer[],
  servers: BackendServerStats[],
  scrapes = new Map(),
): SnapshotParts {
  return { atMs: 1000, containers, servers, scrapes, problems: [] };
}

describe("a watch snapshot from what was read", () => {
  it("matches HAProxy's rows to aggregators by address, each backend's status and all their sessions", () => {
    const snapshot = assembleSnapshot(
      parts(
        [aggregator(0, "172.20.0.2"), aggregator(1, "172.20.0.3"), agentContainer],
        [
          server("logs", "172.20.0.2", "UP", 2),
          server("metrics", "172.20.0.2", "UP", 1),
          server("logs", "172.20.0.3", "DOWN", 0),
        ],
      ),
      new Map(),
    );
    expect(snapshot.backends).toEqual(["logs", "metrics"]);
    expect(snapshot.aggregators).toEqual([
      expect.objectContaining({
        name: "lab-aggregator-0",
        balancerStatus: { logs: "UP", metrics: "UP" },
        currentSessions: 3,
      }),
      expect.objectContaining({
        name: "lab-aggregator-1",
        balancerStatus: { logs: "DOWN" },
        currentSessions: 0,
      }),
    ]);
    expect(snapshot.agents.map((a) => a.name)).toEqual(["lab-agent-0"]);
  });

  it("keeps matching a stopped aggregator (which has no address) at its last one, unless another took it", () => {
    const lastAddresses = new Map<string, string[]>();
    assembleSnapshot(parts([aggregator(0, "172.20.0.2")], []), lastAddresses);
    const stopped = assembleSnapshot(
      parts([aggregator(0, "", "exited")], [server("logs", "172.20.0.2", "DOWN")]),
      lastAddresses,
    );
    expect(stopped.aggregators[0]).toMatchObject({ dockerState: "exited", balancerStatus: { logs: "DOWN" } });

    const taken = assembleSnapshot(
      parts([aggregator(0, "", "exited"), aggregator(5, "172.20.0.2")], [server("logs", "172.20.0.2", "UP")]),
      lastAddresses,
    );
    expect(taken.aggregators.map((a) => a.balancerStatus)).toEqual([{}, { logs: "UP" }]);
  });

  it("takes each aggregator's count from its own exporter, and agents' from any", () => {
    const text = [
      'vector_component_received_events_total{component_id="from_agents",host="lab-aggregator-0"} 42',
      'vector_component_sent_events_total{component_id="to_balancer",host="lab-agent-0"} 40',
    ].join("\n");
    const scrapes = new Map([
      ["lab-aggregator-0", { samples: parsePrometheusText(text), readAtMs: 900 }],
      ["lab-aggregator-1", undefined],
    ]);
    const snapshot = assembleSnapshot(
      parts([aggregator(0, "172.20.0.2"), aggregator(1, "172.20.0.3"), agentContainer], [], scrapes),
      new Map(),
    );
    expect(snapshot.aggregators.map((a) => a.receivedEvents?.value)).toEqual([42, undefined]);
    expect(snapshot.agents[0].sentEvents).toEqual({ value: 40, atMs: 900 });
  });

  it("reads an exporter at the container's address on the lab's network, none while it has none", () => {
    expect(exporterUrl(aggregator(0, "172.20.0.2"))).toMatch(/^http:\/\/172\.20\.0\.2:\d+\/metrics$/);
    expect(exporterUrl(aggregator(0, "", "exited"))).toBeUndefined();
  });
});
