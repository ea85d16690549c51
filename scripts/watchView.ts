/**
 * What `npm run lab -- watch` shows, from the snapshots it took once a second: per aggregator its
 * state in Docker and in each HAProxy backend, its sessions and the events per second it takes (with
 * a sparkline of the last half minute); per agent what it sent and what waits in its disk buffer.
 * Pure: snapshots in, tables of cells out; scripts/watchSources.ts takes the snapshots and
 * scripts/watchScreen.ts draws the frames.
 */

/** A counter or gauge as Vector reported it, and when (its sample's timestamp, else when it was read). */
export interface Reading {
  value: number;
  atMs: number;
}

export interface AggregatorSnapshot {
  /** Container name. */
  name: string;
  /** running, exited, paused, ... as Docker says. */
  dockerState: string;
  /** healthy, unhealthy, starting, or "-" without a health check. */
  health: string;
  /** Backend name → this aggregator's status there (UP, DOWN, ...); a backend with no slot for it is absent. */
  balancerStatus: Record<string, string>;
  /** HAProxy's current sessions to it, all backends together. */
  currentSessions: number;
  /** Events it took from agents (Vector's counter); absent when its metrics could not be read. */
  receivedEvents?: Reading;
}

export interface AgentSnapshot {
  name: string;
  dockerState: string;
  health: string;
  /** Events its log sink delivered (Vector's counter). */
  sentEvents?: Reading;
  /** Events and bytes waiting in its log sink's disk buffer. */
  bufferedEvents?: Reading;
  bufferedBytes?: Reading;
}

export interface WatchSnapshot {
  /** When it was taken (milliseconds since the epoch). */
  atMs: number;
  /** HAProxy's backends, in the order to show them. */
  backends: string[];
  aggregators: AggregatorSnapshot[];
  agents: AgentSnapshot[];
  /** What could not be read this time, said plainly (shown under the tables). */
  problems: string[];
}

export type Tone = "good" | "warn" | "bad" | "plain";
export interface Cell {
  text: string;
  tone: Tone;
}
export interface WatchTable {
  header: string[];
  rows: Cell[][];
}
export interface WatchFrame {
  title: string;
  aggregators: WatchTable;
  agents: WatchTable;
  notes: string[];
}

/** Seconds of history the sparkline covers, one bar per snapshot (one a second). */
export const sparklineSeconds = 30;
/** Rates are averaged over this many seconds: Vector updates its counters about once a second, unevenly. */
const rateWindowMs = 5000;
/** Each sparkline bar averages this much, so a counter updated just after a read does not show 0, 2, 0. */
const barWindowMs = 3000;
const bars = "▁▂▃▄▅▆▇█";

/** The increase of a counter from one reading to the next; a drop means it restarted from 0. */
export function counterIncrease(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/**
 * Per-second rate of a counter over the readings taken within `windowMs` before the last one, with
 * restarts counted as such; undefined with fewer than two readings at distinct times.
 */
export function counterRate(readings: Array<Reading | undefined>, windowMs: number): number | undefined {
  const known = readings.filter((r): r is Reading => r !== undefined);
  if (known.length < 2) return undefined;
  const last = known[known.length - 1];
  const inWindow = known.filter((r) => r.atMs >= last.atMs - windowMs && r.atMs <= last.atMs);
  // Several snapshots may see the same sample (Vector had not updated it yet): keep one per time.
  const distinct = inWindow.filter((r, i) => i === 0 || r.atMs !== inWindow[i - 1].atMs);
  if (distinct.length < 2) return undefined;
  let increase = 0;
  for (let i = 1; i < distinct.length; i++)
    increase += counterIncrease(distinct[i - 1].value, distinct[i].value);
  return increase / ((last.atMs - distinct[0].atMs) / 1000);
}

/**
 * Bars scaled to `max` (by default the largest value shown): 0 is the lowest bar, anything above 0
 * at least the second, `max` the full block; a moment with no reading is a space. The last `width`
 * values, left-padded to `width`.
 */
export function sparkline(
  values: Array<number | undefined>,
  width: number = sparklineSeconds,
  max: number = Math.max(0, ...values.slice(-width).filter((v): v is number => v !== undefined)),
): string {
  const shown = values.slice(-width);
  const bar = (value: number | undefined): string => {
    if (value === undefined) return " ";
    if (value <= 0 || max === 0) return bars[0];
    return bars[Math.min(bars.length - 1, Math.max(1, Math.round((value / max) * (bars.length - 1))))];
  };
  return shown.map(bar).join("").padStart(width, " ");
}

/** The value of `--frames N`: how many frames to draw before stopping. */
export function parseFramesOption(raw: string | undefined): number {
  const allowed = "a whole number from 1 to 100000";
  const parsed = raw !== undefined && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1 || parsed > 100000) {
    throw new Error(
      `--frames: got ${raw === undefined ? "nothing" : JSON.stringify(raw)}; allowed: ${allowed}`,
    );
  }
  return parsed;
}

/** How Docker's state reads: running and healthy (or without a check) is good, paused or exited bad. */
export function dockerTone(state: string, health: string): Tone {
  if (state !== "running") return state === "restarting" || state === "created" ? "warn" : "bad";
  if (health === "unhealthy") return "bad";
  return health === "starting" ? "warn" : "good";
}

/** How HAProxy's status reads: UP good, DOWN bad, a transition (`UP 1/2`, `DOWN 1/2`), NOLB or MAINT a warning. */
export function balancerTone(status: string): Tone {
  if (status === "UP") return "good";
  if (status === "DOWN" || status === "absent") return "bad";
  return "warn";
}

/** A backend's name without the suffix both of the lab's share (haproxyConfig.ts backendNames). */
const backendLabel = (backend: string): string => backend.replace(/_aggregators$/, "");

const plain = (text: string): Cell => ({ text, tone: "plain" });

function formatRate(rate: number | undefined): string {
  if (rate === undefined) return "-";
  return rate >= 100 ? rate.toFixed(0) : rate.toFixed(1);
}

function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return "-";
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

const formatCount = (reading: Reading | undefined): string =>
  reading === undefined ? "-" : String(Math.round(reading.value));

/** A running container's health when it has a check (healthy implies running), else its state. */
function dockerCell(state: string, health: string): Cell {
  const text = state === "running" && health !== "-" ? health : state;
  return { text, tone: dockerTone(state, health) };
}

/** The name without the `<project>-<stack>-` every container of the stack starts with. */
function shortName(name: string, prefix: string): string {
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/**
 * Rates of one node's counter at every snapshot of the last `count`, from the readings up to it;
 * undefined where it had no reading (down, or its metrics unreadable).
 */
function rateSeries(
  readings: Array<Reading | undefined>,
  count: number,
  windowMs: number,
): Array<number | undefined> {
  return readings
    .map((reading, i) =>
      reading === undefined ? undefined : counterRate(readings.slice(0, i + 1), windowMs),
    )
    .slice(-count);
}

export interface WatchLabels {
  stack: string;
  /** What every container name of the stack starts with, left out of the rows. */
  namePrefix: string;
  /** The terminal's columns, if any: the sparkline shortens (to 10 s at least) to fit. */
  width?: number;
}

/** Fewest sparkline bars, however narrow the terminal. */
const fewestBars = 10;

/**
 * The frame for the latest snapshot, with rates from the history before it (oldest first). Rows
 * follow the latest snapshot: a scaled-in aggregator leaves, a new one appears.
 */
export function watchFrame(history: WatchSnapshot[], labels: WatchLabels): WatchFrame {
  if (history.length === 0) throw new Error("watchFrame needs at least one snapshot");
  const latest = history[history.length - 1];
  const aggregatorReadings = (name: string) =>
    history.map((s) => s.aggregators.find((a) => a.name === name)?.receivedEvents);
  const agentReadings = (name: string, pick: (a: AgentSnapshot) => Reading | undefined) =>
    history.map((s) => {
      const agent = s.agents.find((a) => a.name === name);
      return agent ? pick(agent) : undefined;
    });

  // One scale for every aggregator's sparkline, so their heights compare: where the load goes.
  const series = new Map(
    latest.aggregators.map((a) => [
      a.name,
      rateSeries(aggregatorReadings(a.name), sparklineSeconds, barWindowMs),
    ]),
  );
  const sharedMax = Math.max(0, ...[...series.values()].flat().filter((v): v is number => v !== undefined));
  let totalRate = 0;
  const aggregatorColumns = [
    "AGGREGATOR",
    "DOCKER",
    ...latest.backends.map(backendLabel),
    "SESSIONS",
    "EVENTS/S",
    "RECEIVED",
  ];
  const aggregatorRows = latest.aggregators.map((aggregator): Cell[] => {
    const readings = aggregatorReadings(aggregator.name);
    const rate = aggregator.receivedEvents ? counterRate(readings, rateWindowMs) : undefined;
    totalRate += rate ?? 0;
    return [
      plain(shortName(aggregator.name, labels.namePrefix)),
      dockerCell(aggregator.dockerState, aggregator.health),
      ...latest.backends.map((backend) => {
        const status = aggregator.balancerStatus[backend] ?? "absent";
        return { text: status, tone: balancerTone(status) };
      }),
      plain(String(aggregator.currentSessions)),
      plain(formatRate(rate)),
      plain(formatCount(aggregator.receivedEvents)),
    ];
  });
  // The sparkline comes last and takes the room left: cut by the terminal, it would lose its newest bars.
  const usedWidth = columnWidths({ header: aggregatorColumns, rows: aggregatorRows }).reduce(
    (sum, w) => sum + w + 2,
    0,
  );
  const bars =
    labels.width === undefined
      ? sparklineSeconds
      : Math.min(sparklineSeconds, Math.max(fewestBars, labels.width - usedWidth));
  latest.aggregators.forEach((aggregator, i) =>
    aggregatorRows[i].push(plain(sparkline(series.get(aggregator.name) ?? [], bars, sharedMax))),
  );

  const agentRows = latest.agents.map((agent): Cell[] => {
    // The last numbers known, when this snapshot has none (no aggregator answered): their age says so.
    const known =
      [...history]
        .reverse()
        .map((s) => s.agents.find((a) => a.name === agent.name))
        .find((a) => a?.sentEvents !== undefined || a?.bufferedEvents !== undefined) ?? agent;
    const ageMs = known.sentEvents ? latest.atMs - known.sentEvents.atMs : undefined;
    const sent = agentReadings(agent.name, (a) => a.sentEvents);
    const buffered = known.bufferedEvents?.value;
    return [
      plain(shortName(agent.name, labels.namePrefix)),
      dockerCell(agent.dockerState, agent.health),
      plain(formatCount(known.sentEvents)),
      // A rate from old numbers would describe the past: none once they are older than its window.
      plain(
        formatRate(
          ageMs !== undefined && ageMs <= rateWindowMs ? counterRate(sent, rateWindowMs) : undefined,
        ),
      ),
      {
        text: formatCount(known.bufferedEvents),
        tone: buffered !== undefined && buffered > 0 ? "warn" : "plain",
      },
      plain(formatBytes(known.bufferedBytes?.value)),
      {
        text: ageMs === undefined ? "-" : `${Math.max(0, Math.round(ageMs / 1000))} s`,
        tone: ageMs !== undefined && ageMs > rateWindowMs ? "warn" : "plain",
      },
    ];
  });

  const time = new Date(latest.atMs).toTimeString().slice(0, 8);
  return {
    title: `vector-ha-lab watch: stack ${labels.stack}, ${time} (every 1 s; Ctrl-C to stop)`,
    aggregators: {
      header: [...aggregatorColumns, `LAST ${bars} S`],
      rows: aggregatorRows,
    },
    agents: {
      header: ["AGENT", "DOCKER", "SENT", "SENT/S", "BUFFERED", "BUFFER BYTES", "METRICS AGE"],
      rows: agentRows,
    },
    notes: [
      `All aggregators: ${formatRate(totalRate)} events/s.`,
      ...(latest.backends.length === 0
        ? []
        : [
            `${latest.backends.map(backendLabel).join(", ")}: each aggregator's status in that HAProxy backend; SESSIONS: its open sessions in all.`,
          ]),
      "EVENTS/S, RECEIVED: what it took from agents, by Vector's own counters; SENT: what an agent delivered.",
      "An agent's numbers reach watch through the aggregators (remote write): while none takes them, they age.",
      ...latest.problems,
    ],
  };
}

/** A line of the frame as pieces with a tone each, the columns padded: what both renderers print. */
export type Segment = Cell;

function columnWidths(table: WatchTable): number[] {
  return table.header.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i]?.text ?? "").length)));
}

function tableLines(table: WatchTable): Segment[][] {
  const widths = columnWidths(table);
  const line = (cells: Cell[]): Segment[] =>
    cells.flatMap((cell, i) => {
      const last = i === cells.length - 1;
      const padded = last ? cell.text : cell.text.padEnd(widths[i]);
      return last ? [{ ...cell, text: padded }] : [{ ...cell, text: padded }, plain("  ")];
    });
  return [line(table.header.map(plain)), ...table.rows.map(line)];
}

export function frameLines(frame: WatchFrame): Segment[][] {
  return [
    [plain(frame.title)],
    [],
    ...tableLines(frame.aggregators),
    [],
    ...tableLines(frame.agents),
    [],
    ...frame.notes.map((note) => [plain(note)]),
  ];
}

/** Lines of segments as plain text. */
export function linesText(lines: Segment[][]): string {
  return lines
    .map((segments) =>
      segments
        .map((s) => s.text)
        .join("")
        .trimEnd(),
    )
    .join("\n");
}

/** The frame as plain text, for a pipe or a log. */
export function frameText(frame: WatchFrame): string {
  return linesText(frameLines(frame));
}
