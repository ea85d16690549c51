/** The `spread` benchmark's share maths (scripts/bench/spreadShares.ts). */
import type { BackendServerStats } from "../../scripts/haproxyStats";
import {
  backendView,
  eventRates,
  fairShareBand,
  firstUpSecs,
  linesInLastWindow,
  shareOf,
  sharesOf,
  timeToFairShare,
  unknownAddresses,
  type SpreadSample,
} from "../../scripts/bench/spreadShares";

/** Samples one second apart: the new aggregator `c`'s connections as given, 6 in all, UP from `upAt`. */
function samplesWithNewConnections(newConnections: number[], upAt = 0): SpreadSample[] {
  return newConnections.map((c, atSecs) => ({
    atSecs,
    connections: { a: Math.ceil((6 - c) / 2), b: Math.floor((6 - c) / 2), c },
    lines: {},
    newUp: atSecs >= upAt,
  }));
}

describe("fair share band", () => {
  it("is 1/n give or take 20 %", () => {
    const { low, high } = fairShareBand(3);
    expect(low).toBeCloseTo(0.8 / 3);
    expect(high).toBeCloseTo(1.2 / 3);
    // 2 of 6 connections is fair; 1 of 4 (no even split of 4 agents over 3) and 3 of 6 are not.
    expect(2 / 6).toBeGreaterThanOrEqual(low);
    expect(1 / 4).toBeLessThan(low);
    expect(3 / 6).toBeGreaterThan(high);
  });

  it("refuses a count that is no whole number from 1", () => {
    expect(() => fairShareBand(0)).toThrow(/aggregator count 0/);
    expect(() => fairShareBand(2.5)).toThrow(/aggregator count 2.5/);
  });
});

describe("shares", () => {
  it("divides by the total, and has none of nothing", () => {
    expect(shareOf({ a: 1, b: 3 }, "b")).toBe(0.75);
    expect(shareOf({ a: 1, b: 3 }, "c")).toBe(0);
    expect(shareOf({ a: 0, b: 0 }, "a")).toBeUndefined();
    expect(sharesOf({ a: 1, b: 1 }, ["a", "b", "c"])).toEqual({ a: 0.5, b: 0.5, c: 0 });
  });
});

describe("time to fair share", () => {
  const goal = { aggregator: "c", aggregatorCount: 3, holdSecs: 5, fromSecs: 1 };

  it("counts from UP to the start of the first stretch held long enough", () => {
    const samples = samplesWithNewConnections([0, 0, 0, 1, 2, 2, 2, 2, 2, 2], 1);
    expect(firstUpSecs(samples)).toBe(1);
    // Fair from 4 s (2 of 6), held through 9 s: 3 s after UP at 1 s.
    expect(timeToFairShare(samples, goal)).toBe(3);
  });

  it("starts over when the share leaves the band", () => {
    const broken = samplesWithNewConnections([0, 2, 2, 2, 3, 2, 2, 2, 2, 2, 2]);
    expect(timeToFairShare(broken, goal)).toBe(4);
    const tooShort = samplesWithNewConnections([0, 0, 2, 2, 2, 2, 2]);
    expect(timeToFairShare(tooShort, goal)).toBeUndefined();
  });

  it("ignores what happened before the new aggregator was UP", () => {
    const samples = samplesWithNewConnections([2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(timeToFairShare(samples, { ...goal, fromSecs: 3 })).toBe(0);
  });

  it("never sees a fair share when no connection is there", () => {
    const samples = Array.from({ length: 10 }, (_, atSecs) => ({
      atSecs,
      connections: { a: 0, b: 0, c: 0 },
      lines: {},
      newUp: true,
    }));
    expect(timeToFairShare(samples, goal)).toBeUndefined();
  });
});

describe("event rates", () => {
  // a receives 4 lines a second throughout; c exists from 4 s and receives 2 a second from then.
  const samples: SpreadSample[] = Array.from({ length: 11 }, (_, atSecs) => ({
    atSecs,
    connections: {},
    lines: (atSecs < 4 ? { a: 4 * atSecs } : { a: 4 * atSecs, c: 2 * (atSecs - 4) }) as Record<
      string,
      number
    >,
    newUp: atSecs >= 4,
  }));

  it("is the trailing mean over the window", () => {
    const points = eventRates(samples, 5);
    const a = points.filter((p) => p.aggregator === "a");
    expect(a.map((p) => p.atSecs)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const p of a) expect(p.eventsPerSecond).toBeCloseTo(4);
    // At 10 s, over 5..10 s: c received 12 - 2 = 10 lines in 5 s.
    expect(points.find((p) => p.aggregator === "c" && p.atSecs === 10)?.eventsPerSecond).toBeCloseTo(2);
    // At 6 s, over 1..6 s: c had nothing before 4 s, 4 lines by 6 s.
    expect(points.find((p) => p.aggregator === "c" && p.atSecs === 6)?.eventsPerSecond).toBeCloseTo(0.8);
  });

  it("counts the lines of the last window", () => {
    expect(linesInLastWindow(samples, 4)).toEqual({ a: 16, c: 8 });
    expect(linesInLastWindow([], 4)).toEqual({});
  });
});

describe("HAProxy's view of the aggregators", () => {
  const row = (
    backend: string,
    address: string,
    status: string,
    currentSessions: number,
  ): BackendServerStats => ({
    backend,
    server: "aggregator1",
    address,
    status,
    currentSessions,
    totalSessions: 0,
    bytesIn: 0,
    bytesOut: 0,
  });
  const servers = [
    row("vector_aggregators", "10.0.0.2:19092", "UP", 3),
    row("vector_aggregators", "10.0.0.3:19092", "UP", 2),
    row("vector_aggregators", "10.0.0.4:19092", "DOWN", 1),
    row("vector_aggregators", "10.0.0.9:19092", "UP", 4),
    row("remote_write_aggregators", "10.0.0.2:19090", "UP", 7),
  ];
  const names = new Map([
    ["10.0.0.2", "agg-0"],
    ["10.0.0.3", "agg-1"],
    ["10.0.0.4", "agg-2"],
  ]);

  it("counts connections in the one backend, by aggregator, and which are UP", () => {
    expect(backendView(servers, "vector_aggregators", names)).toEqual({
      connections: { "agg-0": 3, "agg-1": 2, "agg-2": 1 },
      up: ["agg-0", "agg-1"],
    });
  });

  it("names the addresses it cannot place", () => {
    expect(unknownAddresses(servers, "vector_aggregators", names)).toEqual(["10.0.0.9"]);
    expect(unknownAddresses(servers, "remote_write_aggregators", names)).toEqual([]);
  });
});
