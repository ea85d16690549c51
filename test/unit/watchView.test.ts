import {
  counterIncrease,
  counterRate,
  frameText,
  parseFramesOption,
  sparkline,
  sparklineSeconds,
  watchFrame,
  type AggregatorSnapshot,
  type AgentSnapshot,
  type Cell,
  type WatchFrame,
  type WatchSnapshot,
  type WatchTable,
} from "../../scripts/watchView";

const prefix = "vector-ha-lab-t-";
const labels = { stack: "t", namePrefix: prefix };
const backends = ["vector_aggregators", "remote_write_aggregators"];
/** The column of each backend, named without the suffix both share. */
const backendColumns = ["vector", "remote_write"];
const start = 1_700_000_000_000;

function aggregator(index: number, received: number | undefined, atMs: number): AggregatorSnapshot {
  return {
    name: `${prefix}aggregator-${index}`,
    dockerState: "running",
    health: "healthy",
    balancerStatus: Object.fromEntries(backends.map((b) => [b, "UP"])),
    currentSessions: 2,
    receivedEvents: received === undefined ? undefined : { value: received, atMs },
  };
}

function agent(index: number, sent: number, atMs: number, buffered = 0): AgentSnapshot {
  return {
    name: `${prefix}agent-${index}`,
    dockerState: "running",
    health: "-",
    sentEvents: { value: sent, atMs },
    bufferedEvents: { value: buffered, atMs },
    bufferedBytes: { value: buffered * 100, atMs },
  };
}

/** Snapshots one second apart, from a function of the second. */
function history(
  seconds: number,
  at: (second: number, atMs: number) => Pick<WatchSnapshot, "aggregators" | "agents">,
): WatchSnapshot[] {
  return Array.from({ length: seconds }, (_, second) => {
    const atMs = start + second * 1000;
    return { atMs, backends, problems: [], ...at(second, atMs) };
  });
}

/** The cell of a table's row, by column header (which starts with `column`). */
function cell(table: WatchTable, rowName: string, column: string): Cell {
  const index = table.header.findIndex((h) => h.startsWith(column));
  expect(index).toBeGreaterThanOrEqual(0);
  const row = table.rows.find((r) => r[0].text === rowName);
  if (!row) throw new Error(`no row ${rowName} in ${JSON.stringify(table.rows.map((r) => r[0].text))}`);
  return row[index];
}

describe("counter rates", () => {
  it("are the increase over the time between readings", () => {
    expect(counterIncrease(10, 25)).toBe(15);
    const readings = [0, 10, 30].map((value, i) => ({ value, atMs: start + i * 1000 }));
    expect(counterRate(readings, 10_000)).toBe(15);
  });

  it("count a drop as a restart from 0, not a negative rate", () => {
    expect(counterIncrease(110, 5)).toBe(5);
    const readings = [100, 110, 5].map((value, i) => ({ value, atMs: start + i * 1000 }));
    expect(counterRate(readings, 10_000)).toBe((10 + 5) / 2);
  });

  it("use only the readings within the window", () => {
    const readings = [
      { value: 0, atMs: start },
      { value: 100, atMs: start + 10_000 },
      { value: 110, atMs: start + 12_000 },
      { value: 110, atMs: start + 12_000 },
      { value: 120, atMs: start + 14_000 },
    ];
    // 100 at 10 s to 120 at 14 s; the reading at 0 s is older than the window.
    expect(counterRate(readings, 5000)).toBe(5);
  });

  it("are unknown with fewer than two readings at distinct times", () => {
    expect(counterRate([undefined, { value: 5, atMs: start }], 5000)).toBeUndefined();
    // Read twice before Vector updated it: one sample, no rate yet.
    expect(
      counterRate(
        [
          { value: 5, atMs: start },
          { value: 5, atMs: start },
        ],
        5000,
      ),
    ).toBeUndefined();
    expect(counterRate([], 5000)).toBeUndefined();
  });
});

describe("sparkline", () => {
  const levels = (line: string) => [...line].map((ch) => "▁▂▃▄▅▆▇█".indexOf(ch));

  it("scales to the largest value shown: it gets the full block, 0 the lowest, anything above 0 more", () => {
    const line = sparkline([0, 1, 5, 10], 4);
    expect(levels(line)).toEqual([0, expect.any(Number), expect.any(Number), 7]);
    const [zero, one, five, ten] = levels(line);
    expect(zero).toBeLessThan(one);
    expect(one).toBeLessThan(five);
    expect(five).toBeLessThan(ten);
  });

  it("looks the same whatever the scale", () => {
    expect(sparkline([1, 2, 3], 3)).toBe(sparkline([100, 200, 300], 3));
  });

  it("shows a moment without a reading as a space, pads on the left and keeps the last values", () => {
    expect(sparkline([5, undefined, 5], 5)).toMatch(/^ {2}█ █$/);
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8], 3)).toBe(sparkline([6, 7, 8], 3));
    expect(sparkline([0, 0], 2)).toBe("▁▁");
  });
});

describe("--frames", () => {
  it("takes a whole number from 1 to 100000", () => {
    expect(parseFramesOption("3")).toBe(3);
    expect(parseFramesOption("100000")).toBe(100000);
  });

  it.each(["0", "100001", "-1", "2.5", "three", ""])(
    "refuses %j, naming the flag and what is allowed",
    (raw) => {
      expect(() => parseFramesOption(raw)).toThrow(
        `--frames: got ${JSON.stringify(raw)}; allowed: a whole number from 1 to 100000`,
      );
    },
  );

  it("refuses a missing value", () => {
    expect(() => parseFramesOption(undefined)).toThrow(/--frames: got nothing; allowed/);
  });
});

describe("the frame", () => {
  it("shows each aggregator's HAProxy status per backend and its events per second from Vector's counter", () => {
    // aggregator-0 takes 4 events a second, aggregator-1 none.
    const frame = watchFrame(
      history(10, (s, at) => ({
        aggregators: [aggregator(0, 4 * s, at), aggregator(1, 50, at)],
        agents: [],
      })),
      labels,
    );
    expect(cell(frame.aggregators, "aggregator-0", "EVENTS/S").text).toBe("4.0");
    expect(cell(frame.aggregators, "aggregator-1", "EVENTS/S").text).toBe("0.0");
    for (const column of backendColumns) {
      expect(cell(frame.aggregators, "aggregator-0", column)).toEqual({
        text: "UP",
        tone: "good",
      });
    }
    expect(cell(frame.aggregators, "aggregator-0", "SESSIONS").text).toBe("2");
    expect(cell(frame.aggregators, "aggregator-0", "RECEIVED").text).toBe("36");
    expect(frame.notes.join("\n")).toContain("All aggregators: 4.0 events/s");
  });

  it("draws every aggregator's sparkline on one scale, so their heights compare", () => {
    // aggregator-0 takes 8 events a second, aggregator-1 2.
    const frame = watchFrame(
      history(10, (s, at) => ({
        aggregators: [aggregator(0, 8 * s, at), aggregator(1, 2 * s, at)],
        agents: [],
      })),
      labels,
    );
    const last = (name: string) => [...cell(frame.aggregators, name, "LAST").text].pop();
    expect(last("aggregator-0")).toBe("█");
    expect("▁▂▃▄▅▆▇█".indexOf(last("aggregator-1") as string)).toBeLessThan(4);
  });

  it("keeps a steady rate across a restart of the aggregator (its counter back at 0)", () => {
    const frame = watchFrame(
      history(10, (s, at) => ({
        aggregators: [aggregator(0, s < 6 ? 1000 + 3 * s : 3 * (s - 6), at)],
        agents: [],
      })),
      labels,
    );
    // From 1015 at second 5 to 0 at second 6: 0 new events that second, then 3 a second.
    expect(Number(cell(frame.aggregators, "aggregator-0", "EVENTS/S").text)).toBeGreaterThan(0);
    expect(Number(cell(frame.aggregators, "aggregator-0", "EVENTS/S").text)).toBeLessThanOrEqual(3);
  });

  it("shows a stopped aggregator as such: Docker's state, absent from HAProxy, no rate, a blank sparkline bar", () => {
    const frame = watchFrame(
      history(5, (s, at) => {
        const stopped = s === 4;
        const second = aggregator(1, stopped ? undefined : 10 * s, at);
        return {
          aggregators: [
            aggregator(0, 10 * s, at),
            stopped
              ? { ...second, dockerState: "exited", health: "-", balancerStatus: {}, currentSessions: 0 }
              : second,
          ],
          agents: [],
        };
      }),
      labels,
    );
    expect(cell(frame.aggregators, "aggregator-1", "DOCKER")).toEqual({ text: "exited", tone: "bad" });
    expect(cell(frame.aggregators, "aggregator-1", backendColumns[0]).tone).toBe("bad");
    expect(cell(frame.aggregators, "aggregator-1", "EVENTS/S").text).toBe("-");
    expect(cell(frame.aggregators, "aggregator-1", "LAST").text).toMatch(/[▁-█] $/);
    expect(cell(frame.aggregators, "aggregator-0", "LAST").text).toMatch(/█$/);
    expect(cell(frame.aggregators, "aggregator-0", "LAST").text).toHaveLength(sparklineSeconds);
  });

  it("marks an aggregator HAProxy has DOWN, or on its way down, in each backend", () => {
    const frame = watchFrame(
      history(2, (s, at) => ({
        aggregators: [
          { ...aggregator(0, s, at), balancerStatus: { [backends[0]]: "DOWN", [backends[1]]: "UP 1/2" } },
        ],
        agents: [],
      })),
      labels,
    );
    expect(cell(frame.aggregators, "aggregator-0", backendColumns[0])).toEqual({
      text: "DOWN",
      tone: "bad",
    });
    expect(cell(frame.aggregators, "aggregator-0", backendColumns[1])).toEqual({
      text: "UP 1/2",
      tone: "warn",
    });
  });

  it("shows what each agent sent, per second, and what waits in its buffer", () => {
    const frame = watchFrame(
      history(8, (s, at) => ({
        aggregators: [],
        agents: [agent(0, 100 + s, at), agent(1, 7, at, s < 7 ? 0 : 42)],
      })),
      labels,
    );
    expect(cell(frame.agents, "agent-0", "SENT").text).toBe("107");
    expect(cell(frame.agents, "agent-0", "SENT/S").text).toBe("1.0");
    expect(cell(frame.agents, "agent-1", "SENT/S").text).toBe("0.0");
    expect(cell(frame.agents, "agent-1", "BUFFERED")).toEqual({ text: "42", tone: "warn" });
    expect(cell(frame.agents, "agent-1", "BUFFER BYTES").text).toMatch(/^4\.1 KiB$/);
    expect(cell(frame.agents, "agent-0", "BUFFERED").tone).toBe("plain");
  });

  it("keeps an agent's last numbers while no aggregator has them, saying how old they are, without a rate", () => {
    const snapshots = history(12, (s, at) => ({
      aggregators: [],
      agents: [
        s < 4
          ? agent(0, 10 + s, at, 5)
          : {
              ...agent(0, 0, at),
              sentEvents: undefined,
              bufferedEvents: undefined,
              bufferedBytes: undefined,
            },
      ],
    }));
    const frame = watchFrame(snapshots, labels);
    expect(cell(frame.agents, "agent-0", "SENT").text).toBe("13");
    expect(cell(frame.agents, "agent-0", "BUFFERED").text).toBe("5");
    expect(cell(frame.agents, "agent-0", "METRICS AGE")).toEqual({ text: "8 s", tone: "warn" });
    expect(cell(frame.agents, "agent-0", "SENT/S").text).toBe("-");
    // A second without them is no reason to drop the rate.
    const soon = watchFrame(snapshots.slice(0, 5), labels);
    expect(cell(soon.agents, "agent-0", "SENT/S").text).toBe("1.0");
    expect(cell(soon.agents, "agent-0", "METRICS AGE")).toEqual({ text: "1 s", tone: "plain" });
  });

  it("follows the latest snapshot's containers and says what could not be read", () => {
    const snapshots = history(3, (s, at) => ({
      aggregators: [aggregator(0, s, at), ...(s < 2 ? [aggregator(1, s, at)] : [])],
      agents: [],
    }));
    snapshots[2].problems.push("HAProxy stats unreadable: refused.");
    const frame: WatchFrame = watchFrame(snapshots, labels);
    expect(frame.aggregators.rows.map((r) => r[0].text)).toEqual(["aggregator-0"]);
    const text = frameText(frame);
    expect(text).toContain("HAProxy stats unreadable: refused.");
    expect(text).toContain("stack t");
  });

  it("fits a terminal's width by shortening the sparkline, which keeps its newest bars", () => {
    const snapshots = history(40, (s, at) => ({
      aggregators: [aggregator(0, s < 38 ? s : 37 + 10 * (s - 37), at)],
      agents: [],
    }));
    const full = watchFrame(snapshots, labels);
    const fullWidth = Math.max(
      ...frameText(full)
        .split("\n")
        .filter((l) => l.startsWith("aggregator-"))
        .map((l) => l.length),
    );
    const narrow = watchFrame(snapshots, { ...labels, width: fullWidth - 12 });
    const rows = frameText(narrow)
      .split("\n")
      .filter((l) => l.startsWith("aggregator-") || l.startsWith("AGGREGATOR"));
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(fullWidth - 12);
    // The jump in the last seconds is the tallest bar, at the end of both.
    expect(cell(narrow.aggregators, "aggregator-0", "LAST").text.endsWith("█")).toBe(true);
    expect(cell(full.aggregators, "aggregator-0", "LAST").text.endsWith("█")).toBe(true);
    expect(cell(narrow.aggregators, "aggregator-0", "LAST").text.length).toBe(sparklineSeconds - 12);
    // However narrow, ten seconds remain.
    expect(
      cell(watchFrame(snapshots, { ...labels, width: 20 }).aggregators, "aggregator-0", "LAST").text,
    ).toHaveLength(10);
  });

  it("as text, lines the columns up under their headers", () => {
    const frame = watchFrame(
      history(3, (s, at) => ({
        aggregators: [aggregator(0, s, at), aggregator(10, 1000 * s, at)],
        agents: [agent(0, s, at)],
      })),
      labels,
    );
    const lines = frameText(frame).split("\n");
    const header = lines.find((l) => l.startsWith("AGGREGATOR")) as string;
    const column = header.indexOf("EVENTS/S");
    for (const name of ["aggregator-0 ", "aggregator-10 "]) {
      const row = lines.find((l) => l.startsWith(name)) as string;
      expect(row.slice(column)).toMatch(/^\d+(\.\d)? /);
    }
  });
});
