import { parsePrometheusText } from "../../scripts/prometheusText";
import {
  agentReadings,
  aggregatorReceived,
  isWatchedMetric,
  type ExporterScrape,
} from "../../scripts/vectorMetrics";

const aggregator = "vector-ha-lab-w-aggregator-0";
const agent = "vector-ha-lab-w-agent-1";

/** Lines as Vector 0.57's prometheus_exporter serves them on an aggregator (from a lab, shortened). */
function exporterText(agentCopy: { sent: number; buffered: number; bytes: number; at?: number }): string {
  const stamp = agentCopy.at === undefined ? "" : ` ${agentCopy.at}`;
  const sink = `component_id="to_balancer",component_kind="sink",component_type="vector",host="${agent}"`;
  const buffer = `buffer_id="to_balancer",buffer_type="disk",${sink},stage="0"`;
  return [
    "# TYPE vector_component_received_events_total counter",
    `vector_component_received_events_total{component_id="received_logs",component_kind="sink",component_type="file",host="${aggregator}"} 19 1795724024435`,
    `vector_component_received_events_total{${sink}} 20${stamp}`,
    `vector_component_received_events_total{component_id="from_agents",component_kind="source",component_type="vector",host="${aggregator}"} 19 1795724024435`,
    `vector_component_sent_events_total{component_id="from_agents",component_kind="source",component_type="vector",host="${aggregator}",output="_default"} 19 1795724024435`,
    `vector_component_sent_events_total{${sink}} ${agentCopy.sent}${stamp}`,
    `vector_component_sent_events_total{component_id="metrics_to_balancer",component_kind="sink",component_type="prometheus_remote_write",host="${agent}"} 1078${stamp}`,
    `vector_buffer_events{${buffer}} ${agentCopy.buffered}${stamp}`,
    `vector_buffer_events{buffer_id="metrics_to_balancer",buffer_type="disk",component_id="metrics_to_balancer",component_kind="sink",component_type="prometheus_remote_write",host="${agent}",stage="0"} 104${stamp}`,
    `vector_buffer_byte_size{${buffer}} ${agentCopy.bytes}${stamp}`,
    `vector_buffer_send_duration_seconds_bucket{buffer_type="memory",component_id="metrics_exporter",component_kind="sink",component_type="prometheus_exporter",host="${aggregator}",le="0.000244140625",stage="0"} 19 1795724024435`,
  ].join("\n");
}

const scrape = (text: string, readAtMs = 1795724025000): ExporterScrape => ({
  samples: parsePrometheusText(text, isWatchedMetric),
  readAtMs,
});

describe("Vector's numbers for watch", () => {
  it("an aggregator's: the events its `vector` source took, not another component's or an agent's", () => {
    expect(aggregatorReceived(scrape(exporterText({ sent: 1, buffered: 0, bytes: 0 })), aggregator)).toEqual({
      value: 19,
      atMs: 1795724024435,
    });
    expect(
      aggregatorReceived(scrape(exporterText({ sent: 1, buffered: 0, bytes: 0 })), "another"),
    ).toBeUndefined();
  });

  it("an agent's: what its log sink sent and holds in its disk buffer, at the sample's time", () => {
    const readings = agentReadings(
      [scrape(exporterText({ sent: 19, buffered: 1, bytes: 320, at: 1795724023856 }))],
      agent,
    );
    expect(readings).toEqual({
      sentEvents: { value: 19, atMs: 1795724023856 },
      bufferedEvents: { value: 1, atMs: 1795724023856 },
      bufferedBytes: { value: 320, atMs: 1795724023856 },
    });
  });

  it("from the aggregator with the newest copy, when the agent wrote to several", () => {
    const stale = scrape(exporterText({ sent: 500, buffered: 0, bytes: 0, at: 1000 }));
    const fresh = scrape(exporterText({ sent: 7, buffered: 3, bytes: 900, at: 2000 }));
    // The agent restarted (its counter is back at 7); the old copy is higher but older.
    expect(agentReadings([stale, fresh], agent).sentEvents?.value).toBe(7);
    expect(agentReadings([fresh, stale], agent).bufferedEvents?.value).toBe(3);
  });

  it("without timestamps (the stand-in Vector), from the copy with the most events sent, at the time it was read", () => {
    const older = scrape(exporterText({ sent: 40, buffered: 2, bytes: 10 }), 5000);
    const newer = scrape(exporterText({ sent: 45, buffered: 0, bytes: 0 }), 4000);
    expect(agentReadings([older, newer], agent)).toEqual({
      sentEvents: { value: 45, atMs: 4000 },
      bufferedEvents: { value: 0, atMs: 4000 },
      bufferedBytes: { value: 0, atMs: 4000 },
    });
  });

  it("none for an agent no aggregator has heard from", () => {
    expect(agentReadings([scrape(exporterText({ sent: 1, buffered: 0, bytes: 0 }))], "silent")).toEqual({});
    expect(agentReadings([], agent)).toEqual({});
  });
});
