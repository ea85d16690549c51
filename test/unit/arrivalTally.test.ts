/** Reading what arrived at the aggregators, and when, in a data-path run; and containers' CPU counters. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  ArrivalClock,
  ArrivalTally,
  eventTimeMs,
  parseReceivedEvent,
} from "../../scripts/bench/arrivalTally";
import { containerCpuSeconds, cpuCounterCandidates, parseCpuCounter } from "../../scripts/bench/containerCpu";

/** A line as an aggregator's file sink writes it (key order as Vector's JSON encoder sorts them). */
function received(agent: string, sequence: number, createdIso: string): string {
  return (
    `{"host":"localhost","message":"${sequence} ${agent} demo event from vector-ha-lab",` +
    `"service":"vector","source_type":"demo_logs","timestamp":"${createdIso}"}`
  );
}

describe("event timestamps", () => {
  it("keeps the digits below a millisecond", () => {
    const whole = Date.UTC(2026, 10, 26, 19, 51, 9);
    expect(eventTimeMs("2026-11-26T19:51:09.598295552Z")).toBeCloseTo(whole + 598.295552, 6);
    expect(eventTimeMs("2026-11-26T19:51:09Z")).toBe(whole);
    expect(eventTimeMs("2026-11-26T19:51:09.5Z")).toBe(whole + 500);
  });

  it("refuses what is not an RFC 3339 UTC time", () => {
    expect(eventTimeMs("yesterday")).toBeUndefined();
    expect(eventTimeMs("2026-11-26 19:51:09Z")).toBeUndefined();
    expect(eventTimeMs("2026-13-45T19:51:09Z")).toBeUndefined();
  });
});

describe("received lines", () => {
  it("names the agent and the sequence number, and the timestamp", () => {
    expect(parseReceivedEvent(received("bench-load-1-0", 17, "2026-11-26T19:51:09.5Z"))).toEqual({
      agent: "bench-load-1-0",
      sequence: 17,
      createdMs: Date.UTC(2026, 10, 26, 19, 51, 9) + 500,
    });
  });

  it("reads the lab agent's lines too (the tally skips them by name) and refuses other lines", () => {
    const labLine =
      '{"file":"/var/log/demo-app/app.log","host":"lab-agent-0","message":"1633 lab-agent-0 demo event ' +
      'from vector-ha-lab","source_type":"file","timestamp":"2026-11-26T19:51:09.598295552Z"}';
    expect(parseReceivedEvent(labLine)?.agent).toBe("lab-agent-0");
    expect(
      parseReceivedEvent('{"message":"no number here","timestamp":"2026-11-26T19:51:09Z"}'),
    ).toBeUndefined();
    expect(parseReceivedEvent('{"message":"3 agent demo event"}')).toBeUndefined();
    expect(parseReceivedEvent("")).toBeUndefined();
  });
});

describe("arrival clock", () => {
  it("gives each line the first sample whose size reached its end, and the end time past the samples", () => {
    const clock = new ArrivalClock(
      [
        { atMs: 100, bytes: 0 },
        { atMs: 120, bytes: 50 },
        { atMs: 140, bytes: 120 },
      ],
      170,
    );
    expect([30, 50, 51, 120, 200].map((offset) => clock.arrivalOf(offset))).toEqual([
      120, 120, 140, 140, 170,
    ]);
  });
});

describe("arrival tally", () => {
  const at = (ms: number) => new Date(ms).toISOString();
  const t0 = Date.UTC(2026, 10, 26, 12, 0, 0);

  it("counts distinct events per agent, duplicates, losses and lines of other agents apart", () => {
    const tally = new ArrivalTally(["a", "b"], 3);
    tally.add("agg-0", received("a", 0, at(t0)), t0 + 10);
    tally.add("agg-0", received("a", 1, at(t0)), t0 + 20);
    tally.add("agg-1", received("a", 1, at(t0)), t0 + 30); // again, at the other aggregator
    tally.add("agg-1", received("a", 2, at(t0)), t0 + 40);
    tally.add("agg-1", received("b", 0, at(t0)), t0 + 50);
    tally.add("agg-1", received("b", 7, at(t0)), t0 + 50); // never sent: b sends 0..2
    tally.add("agg-0", received("lab-agent", 0, at(t0)), t0 + 60); // not this run's
    const result = tally.result();
    expect(result).toMatchObject({ sent: 6, arrived: 4, lost: 2, duplicates: 1, unexpected: 1 });
    expect(result.byAggregator).toEqual({ "agg-0": 2, "agg-1": 4 });
  });

  it("measures events per second over first to last arrival, and delays from each timestamp", () => {
    const tally = new ArrivalTally(["a"], 101);
    // 101 events arriving 10 ms apart over 1 s, each 5 ms after it was made but the last two, 200 ms.
    for (let i = 0; i <= 100; i++) {
      const arrived = t0 + 10 * i;
      tally.add("agg-0", received("a", i, at(arrived - (i >= 99 ? 200 : 5))), arrived);
    }
    const result = tally.result();
    expect(result.spanSeconds).toBeCloseTo(1, 9);
    expect(result.eventsPerSecond).toBeCloseTo(101, 9);
    expect(result.delayP50Ms).toBeCloseTo(5, 9);
    expect(result.delayP99Ms).toBeCloseTo(200, 9);
  });

  it("has no rate or delay when nothing, or everything in one sample, arrived", () => {
    const none = new ArrivalTally(["a"], 2).result();
    expect(none).toMatchObject({ arrived: 0, lost: 2, eventsPerSecond: undefined, delayP50Ms: undefined });
    const burst = new ArrivalTally(["a"], 2);
    burst.add("agg-0", received("a", 0, at(t0)), t0 + 20);
    burst.add("agg-0", received("a", 1, at(t0)), t0 + 20);
    expect(burst.result()).toMatchObject({ arrived: 2, spanSeconds: 0, eventsPerSecond: undefined });
  });
});

describe("container CPU counters", () => {
  const id = "ab".repeat(32);

  it("reads cgroup v1's nanoseconds and cgroup v2's microseconds", () => {
    expect(parseCpuCounter("1500000000\n", "cpuacct.usage")).toBe(1.5);
    expect(parseCpuCounter("usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n", "cpu.stat")).toBe(
      2.5,
    );
    expect(parseCpuCounter("user_usec 2000000\n", "cpu.stat")).toBeUndefined();
    expect(parseCpuCounter("", "cpuacct.usage")).toBeUndefined();
  });

  it("only looks for a full container id", () => {
    expect(() => cpuCounterCandidates("abc")).toThrow(/full 64-hex-digit id/);
    expect(cpuCounterCandidates(id, "/cg")[0].path).toBe(`/cg/cpuacct/docker/${id}/cpuacct.usage`);
  });

  it("finds the counter where the cgroup driver put it, and nothing for a container without one", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "cgroup-"));
    try {
      const scope = path.join(root, "system.slice", `docker-${id}.scope`);
      fs.mkdirSync(scope, { recursive: true });
      fs.writeFileSync(path.join(scope, "cpu.stat"), "usage_usec 750000\n");
      expect(containerCpuSeconds(id, root)).toBe(0.75);
      fs.writeFileSync(path.join(scope, "cpu.stat"), "usage_usec 1000000\n");
      expect(containerCpuSeconds(id, root)).toBe(1);
      expect(containerCpuSeconds("cd".repeat(32), root)).toBeUndefined();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
