/**
 * The stand-in's own counters and gauges, read by the `internal_metrics` source. Names and tags follow
 * Vector's internal metrics (`component_received_events_total`, ... with component_id/kind/type), plus
 * one of the stand-in's own: `standin_received_events_by_agent_total`, events a network source took
 * per sending agent (the common name of its client certificate).
 */

interface Series {
  name: string;
  type: "counter" | "gauge";
  tags: Record<string, string>;
  value: number;
}

const series = new Map<string, Series>();

function key(name: string, tags: Record<string, string>): string {
  return `${name}${JSON.stringify(Object.entries(tags).sort())}`;
}

function entry(name: string, type: Series["type"], tags: Record<string, string>): Series {
  const id = key(name, tags);
  let found = series.get(id);
  if (!found) {
    found = { name, type, tags, value: 0 };
    series.set(id, found);
  }
  return found;
}

export interface ComponentTags extends Record<string, string> {
  component_id: string;
  component_kind: "source" | "sink";
  component_type: string;
}

export function componentTags(id: string, kind: "source" | "sink", type: string): ComponentTags {
  return { component_id: id, component_kind: kind, component_type: type };
}

export const internalMetrics = {
  count(name: string, tags: Record<string, string>, by = 1): void {
    entry(name, "counter", tags).value += by;
  },
  set(name: string, tags: Record<string, string>, value: number): void {
    entry(name, "gauge", tags).value = value;
  },
  snapshot(): Series[] {
    return [...series.values()].map((item) => ({ ...item, tags: { ...item.tags } }));
  },
};
