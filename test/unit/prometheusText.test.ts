import { parsePrometheusText } from "../../scripts/prometheusText";

describe("Prometheus text format", () => {
  it("reads names, labels, values and timestamps, and skips HELP, TYPE and blank lines", () => {
    const text = [
      "# HELP vector_buffer_events Events in the buffer.",
      "# TYPE vector_buffer_events gauge",
      'vector_buffer_events{component_id="to_balancer",host="agent-0"} 12 1700000000123',
      "",
      "up 1",
    ].join("\n");
    expect(parsePrometheusText(text)).toEqual([
      {
        name: "vector_buffer_events",
        labels: { component_id: "to_balancer", host: "agent-0" },
        value: 12,
        timestampMs: 1700000000123,
      },
      { name: "up", labels: {}, value: 1 },
    ]);
  });

  it("unescapes label values, keeping commas and braces inside quotes", () => {
    const [sample] = parsePrometheusText('m{a="x,}y",b="say \\"hi\\"\\nback\\\\slash",} 2.5e3');
    expect(sample.labels).toEqual({ a: "x,}y", b: 'say "hi"\nback\\slash' });
    expect(sample.value).toBe(2500);
  });

  it("reads the special values", () => {
    const values = parsePrometheusText("a +Inf\nb -Inf\nc NaN").map((s) => s.value);
    expect(values).toEqual([Infinity, -Infinity, NaN]);
  });

  it("parses only the metrics asked for, not even looking at the other lines", () => {
    const text = 'wanted{a="1"} 1\nhistogram_bucket{le="0.5" broken\nwanted 2';
    expect(parsePrometheusText(text, (name) => name === "wanted").map((s) => s.value)).toEqual([1, 2]);
    expect(() => parsePrometheusText(text)).toThrow(/line 2/);
  });

  it.each([
    ["an unclosed label value", 'm{a="x} 1'],
    ["a missing value", 'm{a="x"}'],
    ["a value that is no number", "m one"],
    ["a label without a value", "m{a} 1"],
  ])("refuses %s, naming the line", (_, line) => {
    expect(() => parsePrometheusText(`ok 1\n${line}`)).toThrow(/line 2/);
  });
});
