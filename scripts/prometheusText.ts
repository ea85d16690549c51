/**
 * Parses the Prometheus text exposition format, as Vector's `prometheus_exporter` sink serves it
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format). Pure, no I/O.
 */

export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch, when the line carries a timestamp. */
  timestampMs?: number;
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const escapes: Record<string, string> = { "\\": "\\", '"': '"', n: "\n" };

/**
 * Every sample line, or only those of the metrics `keep` accepts (the others are not parsed: an
 * exporter serves thousands of histogram lines a reader may not need); `#` lines (HELP, TYPE,
 * comments) and blank lines are skipped.
 */
export function parsePrometheusText(
  text: string,
  keep: (name: string) => boolean = () => true,
): PrometheusSample[] {
  return text
    .split("\n")
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== "" && !line.startsWith("#") && keep(metricName.exec(line)?.[0] ?? ""))
    .map(({ line, number }) => {
      try {
        return parseSampleLine(line);
      } catch (error) {
        throw new Error(`Prometheus text, line ${number}: ${(error as Error).message}: ${line}`);
      }
    });
}

function parseSampleLine(line: string): PrometheusSample {
  const name = metricName.exec(line)?.[0];
  if (name === undefined) throw new Error("no metric name");
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    rest = rest.slice(1).trimStart();
    while (!rest.startsWith("}")) {
      const label = labelName.exec(rest)?.[0];
      if (label === undefined) throw new Error("a label name was expected");
      rest = rest.slice(label.length).trimStart();
      if (!rest.startsWith('="')) throw new Error(`label ${label} has no ="value"`);
      let value = "";
      let i = 2;
      for (; i < rest.length && rest[i] !== '"'; i++) {
        if (rest[i] === "\\" && i + 1 < rest.length) value += escapes[rest[++i]] ?? `\\${rest[i]}`;
        else value += rest[i];
      }
      if (i >= rest.length) throw new Error(`label ${label}'s value is not closed`);
      labels[label] = value;
      rest = rest.slice(i + 1).trimStart();
      if (rest.startsWith(",")) rest = rest.slice(1).trimStart();
      else if (!rest.startsWith("}")) throw new Error("',' or '}' was expected after a label");
    }
    rest = rest.slice(1);
  }
  const fields = rest.trim().split(/\s+/);
  if (fields.length > 2 || fields[0] === "") throw new Error("a value was expected");
  const value = sampleValue(fields[0]);
  const timestampMs = fields.length === 2 ? Number(fields[1]) : undefined;
  if (timestampMs !== undefined && !Number.isFinite(timestampMs)) throw new Error("bad timestamp");
  return timestampMs === undefined ? { name, labels, value } : { name, labels, value, timestampMs };
}

function sampleValue(text: string): number {
  const special: Record<string, number> = { "+Inf": Infinity, "-Inf": -Infinity, NaN: NaN };
  if (text in special) return special[text];
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`bad value ${text}`);
  return value;
}
