/**
 * The vector.yaml of a data-path benchmark agent: a fixed number of demo events, as fast as the sink
 * takes them, shipped over mutual TLS like a lab agent's logs. Pure; rendered by the lab's own
 * renderVectorYaml and validated in the tests against Vector 0.57's reference.
 */
import {
  clientTls,
  componentIds,
  demoEventsSource,
  type TlsMaterial,
  type VectorConfig,
} from "../../components/vectorConfig";

export interface LoadAgentSpec {
  /** Written into every event (`<seq> <agentName> demo event ...`), so arrivals are counted per agent. */
  agentName: string;
  /** Events it sends before it stops; Vector exits once they are delivered. */
  eventCount: number;
  /** `host:port` it sends to: one (the balancer, or one aggregator) or several (client-side balancing). */
  endpoints: string[];
  /** Its client identity and the CA it verifies aggregators with: files inside its container. */
  tls: TlsMaterial;
}

export function loadAgentVectorConfig(spec: LoadAgentSpec): VectorConfig {
  if (!Number.isSafeInteger(spec.eventCount) || spec.eventCount < 1) {
    throw new Error(`eventCount: got ${spec.eventCount}; allowed: a whole number of at least 1`);
  }
  if (spec.endpoints.length === 0) throw new Error("endpoints: got none; allowed: one or more host:port");
  return {
    sources: {
      // `interval: 0` generates without pause; the sink's default memory buffer (500 events, block)
      // holds the source back, so an event's timestamp is when it could enter the pipeline.
      [componentIds.demoLogs]: demoEventsSource(spec.agentName, 0, spec.eventCount),
    },
    sinks: {
      [componentIds.toBalancer]: {
        type: "vector",
        inputs: [componentIds.demoLogs],
        // Several endpoints: Vector spreads requests over them itself (its default strategy, named).
        routing:
          spec.endpoints.length === 1
            ? { endpoints: spec.endpoints }
            : { endpoints: spec.endpoints, strategy: "load_balance" },
        tls: clientTls(spec.tls, "vector"),
        // demo_logs cannot acknowledge: asking would only add Vector's "silent data loss" warning.
        acknowledgements: { enabled: false },
      },
    },
  };
}
