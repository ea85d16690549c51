import { maxDownDetectionMs } from "../../components/haproxyConfig";
import { chartSvg } from "../../scripts/bench/report";
import { healthCheckProfiles, settingDefaults } from "../../components/settings";
import type { ServerCheckStats } from "../../scripts/haproxyStats";
import {
  failoverCharts,
  failoverFindings,
  failoverTables,
  sinceEffectMs,
  summarizeCheckDurations,
  withinBound,
  type FailoverData,
  type FailoverRound,
  type QuietWindow,
} from "../../scripts/bench/failoverOutcome";
import {
  backendsServing,
  checkCounterIncrease,
  failoverFaults,
  failoverPlan,
  faultCommands,
  faultEventArgs,
  firstEventMs,
  RotationExit,
  serversNotUp,
  victimIndex,
} from "../../scripts/bench/failoverPlan";

function row(overrides: Partial<ServerCheckStats>): ServerCheckStats {
  return {
    backend: "vector_aggregators",
    server: "aggregator1",
    address: "10.0.0.2:19092",
    status: "UP",
    downTransitions: 0,
    failedChecks: 0,
    secondsSinceChange: 10,
    lastCheckStatus: "L7OK",
    lastCheckMs: 1,
    ...overrides,
  };
}

describe("failover plan", () => {
  it("smoke: both profiles, stop and pause once each, a 30 s quiet window", () => {
    const plan = failoverPlan({ smoke: true, rounds: 1 });
    expect(plan.profiles).toEqual([...healthCheckProfiles]);
    expect(plan.faults).toEqual(["stop", "pause"]);
    expect(plan.rounds).toBe(1);
    expect(plan.quietWindowSecs).toBe(30);
  });

  it("full: every fault for the rounds asked, and at least the 5-minute window the default is judged on", () => {
    const plan = failoverPlan({ smoke: false, rounds: 4 });
    expect(plan.faults).toEqual([...failoverFaults]);
    expect(plan.rounds).toBe(4);
    expect(plan.quietWindowSecs).toBeGreaterThanOrEqual(300);
    expect(plan.aggregators).toBeGreaterThanOrEqual(2);
  });

  it("never hits the same aggregator twice in a row, and hits each of them over a run", () => {
    const faults = failoverFaults.length;
    const victims = [0, 1, 2].flatMap((round) =>
      failoverFaults.map((_, faultIndex) => victimIndex(round, faultIndex, faults, 3)),
    );
    for (let i = 1; i < victims.length; i++) expect(victims[i]).not.toBe(victims[i - 1]);
    expect(new Set(victims)).toEqual(new Set([0, 1, 2]));
  });

  it("undoes each fault with its own command, and reconnects with the pool alias HAProxy resolves", () => {
    const network = { networkName: "lab-network", poolAlias: "lab-aggregators" };
    for (const fault of failoverFaults) {
      const { inject, undo } = faultCommands(fault, "agg-1", network);
      expect(inject).toContain("agg-1");
      expect(undo).toContain("agg-1");
      expect(undo).not.toEqual(inject);
    }
    expect(faultCommands("kill", "agg-1", network).undo).toEqual(["start", "agg-1"]);
    expect(faultCommands("disconnect", "agg-1", network).undo).toEqual([
      "network",
      "connect",
      "--alias",
      "lab-aggregators",
      "lab-network",
      "agg-1",
    ]);
  });
});

describe("when Docker says a fault took effect", () => {
  it("asks for the container's own event, or the network's naming it, in the fault's time window", () => {
    const pause = faultEventArgs("pause", "agg-1", "lab-network", 1_700_000_000_123, 1_700_000_005_000);
    expect(pause).toEqual(expect.arrayContaining(["--since", "1700000000.123", "--until", "1700000005.000"]));
    expect(pause).toEqual(expect.arrayContaining(["type=container", "event=pause", "container=agg-1"]));
    const cut = faultEventArgs("disconnect", "agg-1", "lab-network", 0, 1);
    expect(cut).toEqual(expect.arrayContaining(["type=network", "event=disconnect", "network=lab-network"]));
    expect(faultEventArgs("kill", "agg-1", "n", 0, 1)).toContain("event=die");
  });

  it("takes the first event about that container, to the millisecond", () => {
    const output = [
      "1795724803152082560 netid othercontainer",
      "1795724803154138665 netid abc123",
      "1795724803530731861 netid abc123",
      "",
    ].join("\n");
    expect(firstEventMs(output, "abc123")).toBe(1795724803154.138);
    expect(firstEventMs("1795724802865451217 abc123 <no value>\n", "abc123")).toBe(1795724802865.451);
    expect(firstEventMs(output, "nobody")).toBeUndefined();
    expect(firstEventMs("", "abc123")).toBeUndefined();
  });
});

describe("reading rotation from HAProxy's rows", () => {
  const rows = [
    row({ backend: "a", status: "UP 1/2" }),
    row({ backend: "b", status: "DOWN" }),
    row({ backend: "c", status: "MAINT (resolution)" }),
    row({ backend: "d", address: "10.0.0.3:19092" }),
  ];

  it("counts a server going down (UP 1/2) as still serving, DOWN and MAINT as out, by address", () => {
    expect(backendsServing(rows, "10.0.0.2")).toEqual(new Set(["a"]));
    expect(backendsServing(rows, "10.0.0.3")).toEqual(new Set(["d"]));
    expect(backendsServing(rows, "10.0.0.22")).toEqual(new Set());
  });

  it("lists the rows of the watched servers that are not UP", () => {
    expect(serversNotUp(rows, new Set(["10.0.0.2"]))).toEqual([
      "b/aggregator1 DOWN",
      "c/aggregator1 MAINT (resolution)",
    ]);
  });

  it("times the exit from each backend: out everywhere when the last one drops it", () => {
    const exit = new RotationExit(new Set(["a", "b"]));
    exit.observe(new Set(["a", "b"]), 100);
    expect(exit.outSomewhereMs()).toBeUndefined();
    exit.observe(new Set(["b"]), 450);
    expect(exit.outSomewhereMs()).toBe(450);
    expect(exit.outEverywhereMs()).toBeUndefined();
    exit.observe(new Set(), 520);
    exit.observe(new Set(["a"]), 900); // seen back later: the exit time stays the first one
    expect(exit.outEverywhereMs()).toBe(520);
  });

  it("refuses a victim that no backend was serving: there would be nothing to time", () => {
    expect(() => new RotationExit(new Set())).toThrow(/in no backend's rotation/);
  });
});

describe("a quiet window's check counters", () => {
  const ips = new Set(["10.0.0.2", "10.0.0.3"]);

  it("adds up DOWN transitions and failed checks of the watched servers only", () => {
    const before = [
      row({ downTransitions: 1, failedChecks: 3 }),
      row({ server: "aggregator2", address: "10.0.0.3:19092", downTransitions: 0 }),
      row({ server: "aggregator3", address: "10.0.0.9:19092", downTransitions: 0 }),
    ];
    const after = [
      row({ downTransitions: 2, failedChecks: 7 }),
      row({ server: "aggregator2", address: "10.0.0.3:19092", downTransitions: 0 }),
      row({ server: "aggregator3", address: "10.0.0.9:19092", downTransitions: 5 }),
    ];
    expect(checkCounterIncrease(before, after, ips)).toEqual({
      downTransitions: 1,
      failedChecks: 4,
      servers: 2,
    });
  });

  it("skips a slot that changed address, and counts all of a counter that went back (HAProxy restarted)", () => {
    const before = [row({ downTransitions: 4 }), row({ server: "aggregator2", address: "10.0.0.3:19092" })];
    const after = [row({ downTransitions: 1 }), row({ server: "aggregator2", address: "10.0.0.7:19092" })];
    expect(checkCounterIncrease(before, after, new Set([...ips, "10.0.0.7"]))).toEqual({
      downTransitions: 1,
      failedChecks: 0,
      servers: 1,
    });
  });

  it("summarizes the check durations read", () => {
    expect(summarizeCheckDurations([])).toBeUndefined();
    expect(summarizeCheckDurations([1, 3, 2, 40])).toMatchObject({ reads: 4, median: 2.5, max: 40 });
  });
});

describe("failover outcome", () => {
  const defaultProfile = settingDefaults.healthCheckProfile;
  const otherProfile = healthCheckProfiles.find((p) => p !== defaultProfile) ?? defaultProfile;

  function round(overrides: Partial<FailoverRound>): FailoverRound {
    return {
      profile: defaultProfile,
      fault: "pause",
      round: 1,
      victim: "agg-0",
      outOfRotationMs: 700,
      firstBackendOutMs: 650,
      faultCommandMs: 40,
      faultEffectMs: 30,
      backInRotationMs: 900,
      restoredByUp: false,
      linesWritten: 10,
      lost: 0,
      duplicates: 0,
      lostLines: "none",
      ...overrides,
    };
  }

  function quiet(overrides: Partial<QuietWindow>): QuietWindow {
    return {
      profile: defaultProfile,
      seconds: 300,
      servers: 6,
      downTransitions: 0,
      failedChecks: 0,
      notUpReads: 0,
      notUpExamples: [],
      unreadableReads: 0,
      checkMs: { reads: 100, median: 1, p99: 3, max: 9 },
      linesDelivered: 600,
      peakLoadAverage: 1.5,
      ...overrides,
    };
  }

  function data(rounds: FailoverRound[], windows: QuietWindow[] = [quiet({})]): FailoverData {
    return {
      plan: failoverPlan({ smoke: false, rounds: 1 }),
      rounds,
      windows,
      upSeconds: {},
      phaseSeconds: {},
    };
  }

  it("counts from the fault in effect: Docker's event, else the command's end", () => {
    expect(sinceEffectMs(round({ outOfRotationMs: 700, faultEffectMs: 300, faultCommandMs: 400 }))).toBe(400);
    expect(
      sinceEffectMs(round({ outOfRotationMs: 700, faultEffectMs: undefined, faultCommandMs: 400 })),
    ).toBe(300);
    // Out before the process was gone: Vector stopped answering during its shutdown.
    expect(sinceEffectMs(round({ fault: "stop", outOfRotationMs: 300, faultEffectMs: 500 }))).toBe(-200);
    expect(sinceEffectMs(round({ outOfRotationMs: undefined }))).toBeUndefined();
  });

  it("holds a round to its bound from the fault in effect, plus one poll", () => {
    const bound = maxDownDetectionMs(defaultProfile, "no-answer");
    expect(withinBound(round({ outOfRotationMs: 300 + bound + 50, faultEffectMs: 300 }), 50)).toBe(true);
    expect(withinBound(round({ outOfRotationMs: 300 + bound + 51, faultEffectMs: 300 }), 50)).toBe(false);
    expect(withinBound(round({ outOfRotationMs: undefined }), 50)).toBe(false);
  });

  it("judges the frozen goal for the default profile on a full run, and not on a smoke run", () => {
    const fast = data([
      round({ outOfRotationMs: 800 }),
      round({ outOfRotationMs: 1200, faultEffectMs: 300 }),
    ]);
    const slow = data([
      round({ outOfRotationMs: 800 }),
      round({ outOfRotationMs: 1200, faultEffectMs: 100 }),
    ]);
    expect(failoverFindings(fast, false).join("\n")).toMatch(/Frozen.*goal for the default.*, met\./);
    expect(failoverFindings(slow, false).join("\n")).toMatch(/Frozen.*NOT met/);
    expect(failoverFindings(slow, true).join("\n")).toMatch(/Frozen.*smoke run: not judged/);
  });

  it("fails the no-false-DOWN goal on any DOWN transition, any row read not UP, or a short window", () => {
    const finding = (w: Partial<QuietWindow>) =>
      failoverFindings(data([round({})], [quiet(w)]), false).find((f) => f.startsWith("False DOWN"));
    expect(finding({})).toMatch(/0 DOWN transition.*, met\./);
    expect(finding({ downTransitions: 1 })).toMatch(/NOT met/);
    expect(finding({ notUpReads: 2 })).toMatch(/NOT met/);
    expect(finding({ seconds: 30 })).toMatch(/NOT met/);
    expect(finding({ profile: otherProfile, downTransitions: 3 })).not.toMatch(/goal/);
  });

  it("names every round that lost events, with the lines", () => {
    const findings = failoverFindings(
      data([round({}), round({ fault: "kill", round: 2, lost: 3, lostLines: "agent-0: 5-7" })]),
      false,
    );
    expect(findings.join("\n")).toMatch(/EVENTS LOST: .*kill round 2: 3 \(agent-0: 5-7\)/);
  });

  it("has a table row per fault and profile, and leaves undetected rounds out of the medians and the chart", () => {
    const rounds = [round({}), round({ profile: otherProfile, outOfRotationMs: undefined })];
    const detection = failoverTables(data(rounds))[1];
    const plan = failoverPlan({ smoke: false, rounds: 1 });
    expect(detection.rows).toHaveLength(plan.faults.length * plan.profiles.length);
    const pauseOther = detection.rows.find((r) => r[0] === "pause" && r[1] === otherProfile);
    expect(pauseOther?.[2]).toMatch(/1 not seen/);
    const values = (failoverCharts(data(rounds))[0].spec.data as { values: unknown[] }).values;
    expect(values).toEqual([
      { fault: "pause", profile: defaultProfile, medianMs: 670, lowestMs: 670, highestMs: 670 },
    ]);
  });

  it("draws its chart with Vega (the spec compiles and renders)", async () => {
    const rounds = [
      round({}),
      round({ profile: otherProfile, outOfRotationMs: 400 }),
      round({ fault: "stop" }),
    ];
    const svg = await chartSvg(failoverCharts(data(rounds))[0].spec);
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain("pause");
  });
});
