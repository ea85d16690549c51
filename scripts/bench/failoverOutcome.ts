/**
 * The failover benchmark's measurements turned into what the report shows: detection times per fault
 * and profile against their bound, what was lost and duplicated, the quiet window's false DOWNs, a bar
 * chart, and the findings (goals judged on a full run only). Pure.
 */
import { healthCheckTimings, maxDownDetectionMs } from "../../components/haproxyConfig";
import { settingDefaults, type HealthCheckProfile } from "../../components/settings";
import type { BenchChart, BenchTable } from "./benchmark";
import {
  checkFailureOf,
  frozenGoalMs,
  quietGoalSecs,
  type FailoverFault,
  type FailoverPlan,
} from "./failoverPlan";
import { formatSpread, median, quantile, spread } from "./stats";

/** One fault on one aggregator, and its undoing. */
export interface FailoverRound {
  profile: HealthCheckProfile;
  fault: FailoverFault;
  round: number;
  victim: string;
  /** From the fault's docker command until no backend had the victim in rotation; undefined: not seen. */
  outOfRotationMs: number | undefined;
  /** Until the first backend took it out. */
  firstBackendOutMs: number | undefined;
  /** How long the docker command itself took (`docker stop` waits for the process to end). */
  faultCommandMs: number;
  /**
   * When Docker recorded the fault in effect (its `die`, `pause` or network `disconnect` event), in
   * ms from the command; undefined when no event was found.
   */
  faultEffectMs: number | undefined;
  /** From the undoing command until every aggregator was UP in every backend again. */
  backInRotationMs: number;
  /** The docker command did not bring it back within the wait: the lab's `up` did. */
  restoredByUp: boolean;
  /** Lines the demo apps wrote from this fault until the next one (or the end). */
  linesWritten: number;
  lost: number;
  duplicates: number;
  /** Lost line numbers as ranges per agent, "none" when none. */
  lostLines: string;
}

/** A stretch with every aggregator healthy and the agents pushing load: what the checks did. */
export interface QuietWindow {
  profile: HealthCheckProfile;
  seconds: number;
  /** Server rows watched (aggregators × backends). */
  servers: number;
  /** UP→DOWN transitions of those healthy servers: false DOWNs. */
  downTransitions: number;
  /** Failed checks that did not reach `fall`. */
  failedChecks: number;
  /** Server rows found not UP, over every read: a false DOWN, or a slot that lost its address. */
  notUpReads: number;
  /** The first few of them, `backend/slot STATUS`. */
  notUpExamples: string[];
  /** Reads of the stats page that failed (no answer within 2 s). */
  unreadableReads: number;
  /** The last check's duration of each watched server, as read every poll; undefined if none read. */
  checkMs: CheckDurations | undefined;
  /** Lines delivered from the agents during the window. */
  linesDelivered: number;
  /** Highest 1-minute load average of the host read during the window. */
  peakLoadAverage: number;
}

/** Check durations read during a window, in ms. */
export interface CheckDurations {
  reads: number;
  median: number;
  p99: number;
  max: number;
}

export function summarizeCheckDurations(values: number[]): CheckDurations | undefined {
  if (values.length === 0) return undefined;
  return {
    reads: values.length,
    median: median(values),
    p99: quantile(values, 0.99),
    max: Math.max(...values),
  };
}

export interface FailoverData {
  plan: FailoverPlan;
  rounds: FailoverRound[];
  windows: QuietWindow[];
  /** Seconds each profile's stack took to come up (all at once). */
  upSeconds: Partial<Record<HealthCheckProfile, number>>;
  /** Seconds per phase of the run: up until delivering, the quiet window, each profile's faults. */
  phaseSeconds: Record<string, number>;
}

const defaultProfile = settingDefaults.healthCheckProfile;

const roundsOf = (data: FailoverData, profile: HealthCheckProfile, fault: FailoverFault) =>
  data.rounds.filter((r) => r.profile === profile && r.fault === fault);

const detected = (rounds: FailoverRound[]): number[] =>
  rounds.map((r) => r.outOfRotationMs).filter((ms): ms is number => ms !== undefined);

/**
 * From the fault in effect until out of rotation: from Docker's event, else from the command's end
 * (the fault is in effect by then). Negative when HAProxy dropped it first (Vector stops answering
 * during its shutdown, before its process is gone).
 */
export function sinceEffectMs(round: FailoverRound): number | undefined {
  if (round.outOfRotationMs === undefined) return undefined;
  return round.outOfRotationMs - (round.faultEffectMs ?? round.faultCommandMs);
}

const detectedSinceEffect = (rounds: FailoverRound[]): number[] =>
  rounds.map(sinceEffectMs).filter((ms): ms is number => ms !== undefined);

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** `inter 400 / fastinter 100 / downinter 500 / timeout 200 ms, fall 2, rise 2`. */
export function describeTiming(profile: HealthCheckProfile): string {
  const t = healthCheckTimings[profile];
  return (
    `inter ${t.intervalMs} / fastinter ${t.fastIntervalMs} / downinter ${t.downIntervalMs} / ` +
    `timeout check ${t.timeoutMs} ms, fall ${t.fall}, rise ${t.rise}`
  );
}

export function failoverTables(data: FailoverData): BenchTable[] {
  const { plan } = data;
  const profiles: BenchTable = {
    title: "Health-check profiles (haproxyConfig.ts healthCheckTimings) and their worst cases",
    header: ["profile", "settings", "bound frozen ms", "bound unreachable ms"],
    rows: plan.profiles.map((profile) => [
      profile === defaultProfile ? `${profile} (default)` : profile,
      describeTiming(profile),
      String(maxDownDetectionMs(profile, "no-answer")),
      String(maxDownDetectionMs(profile, "unreachable")),
    ]),
  };
  const detection: BenchTable = {
    title:
      "Time until out of rotation in every backend, ms from the fault in effect (Docker's die, pause or " +
      "disconnect event) and from its command: median (lowest–highest, rounds); back in rotation after " +
      "the undoing; lines lost and duplicated",
    header: [
      "fault",
      "profile",
      "out after effect ms",
      "bound ms",
      "out after command ms",
      "docker cmd ms",
      "back UP ms",
      "lost",
      "duplicated",
    ],
    rows: plan.faults.flatMap((fault) =>
      plan.profiles.map((profile) => {
        const rounds = roundsOf(data, profile, fault);
        const seen = detected(rounds);
        const missed = rounds.length - seen.length;
        return [
          fault,
          profile,
          `${formatSpread(detectedSinceEffect(rounds), 0)}${missed > 0 ? `, ${missed} not seen` : ""}`,
          String(maxDownDetectionMs(profile, checkFailureOf[fault])),
          formatSpread(seen, 0),
          formatSpread(
            rounds.map((r) => r.faultCommandMs),
            0,
          ),
          formatSpread(
            rounds.map((r) => r.backInRotationMs),
            0,
          ) + (rounds.some((r) => r.restoredByUp) ? " (by up)" : ""),
          String(sum(rounds.map((r) => r.lost))),
          String(sum(rounds.map((r) => r.duplicates))),
        ];
      }),
    ),
  };
  const quiet: BenchTable = {
    title:
      "No false DOWN: every aggregator healthy, agents pushing load, both profiles' labs up at once " +
      "(checks read every poll: median and slowest)",
    header: [
      "profile",
      "seconds",
      "servers",
      "DOWN transitions",
      "failed checks",
      "reads not UP",
      "check ms median / p99 / max",
      "lines delivered",
      "peak load avg",
    ],
    rows: data.windows.map((w) => [
      w.profile,
      w.seconds.toFixed(0),
      String(w.servers),
      String(w.downTransitions),
      String(w.failedChecks),
      String(w.notUpReads),
      w.checkMs ? `${w.checkMs.median} / ${w.checkMs.p99.toFixed(0)} / ${w.checkMs.max}` : "—",
      String(w.linesDelivered),
      w.peakLoadAverage.toFixed(2),
    ]),
  };
  return [profiles, detection, quiet];
}

export function failoverCharts(data: FailoverData): BenchChart[] {
  const values = data.plan.faults.flatMap((fault) =>
    data.plan.profiles.flatMap((profile) => {
      const seen = detectedSinceEffect(roundsOf(data, profile, fault));
      if (seen.length === 0) return [];
      const s = spread(seen);
      return [{ fault, profile, medianMs: s.median, lowestMs: s.min, highestMs: s.max }];
    }),
  );
  const encoding = {
    x: { field: "fault", type: "nominal", sort: data.plan.faults, title: "fault" },
    xOffset: { field: "profile", sort: data.plan.profiles },
    color: { field: "profile", type: "nominal", sort: data.plan.profiles, title: "health-check profile" },
  };
  return [
    {
      name: "failover-detection",
      title: "Failover: time until out of rotation per fault and health-check profile",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v5.json",
        title: "Time from the fault in effect until out of rotation (median; line: lowest–highest)",
        width: 420,
        height: 240,
        data: { values },
        layer: [
          {
            mark: "bar",
            encoding: {
              ...encoding,
              y: { field: "medianMs", type: "quantitative", title: "ms from the fault in effect" },
            },
          },
          {
            mark: { type: "rule", color: "black" },
            encoding: {
              ...encoding,
              color: { value: "black" },
              y: { field: "lowestMs", type: "quantitative" },
              y2: { field: "highestMs" },
            },
          },
          {
            data: { values: [{ goalMs: frozenGoalMs }] },
            mark: { type: "rule", strokeDash: [4, 4], color: "gray" },
            encoding: { y: { field: "goalMs", type: "quantitative" } },
          },
        ],
      },
    },
  ];
}

/**
 * Whether a round's detection kept to its profile's bound, counted from the fault in effect (a read
 * every `pollMs` sees the change up to one poll late).
 */
export function withinBound(round: FailoverRound, pollMs: number): boolean {
  const since = sinceEffectMs(round);
  return (
    since !== undefined && since <= maxDownDetectionMs(round.profile, checkFailureOf[round.fault]) + pollMs
  );
}

export function failoverFindings(data: FailoverData, smoke: boolean): string[] {
  const findings: string[] = [];
  const judged = (met: boolean) => (smoke ? "smoke run: not judged" : met ? "met" : "NOT met");

  for (const profile of data.plan.profiles) {
    const rounds = roundsOf(data, profile, "pause");
    const frozen = detectedSinceEffect(rounds);
    if (frozen.length === 0) continue;
    const goal =
      profile === defaultProfile
        ? `; goal for the default: out within ${frozenGoalMs} ms of freezing, ` +
          judged(frozen.length === rounds.length && spread(frozen).max <= frozenGoalMs)
        : "";
    findings.push(
      `Frozen aggregator (docker pause), ${profile} profile: out of rotation ${formatSpread(frozen, 0)} ms after ` +
        `Docker froze it (bound ${maxDownDetectionMs(profile, "no-answer")} ms), ${formatSpread(detected(rounds), 0)} ms ` +
        `after the command began${goal}.`,
    );
  }

  for (const w of data.windows) {
    const goal =
      w.profile === defaultProfile
        ? `; goal for the default: none in ${quietGoalSecs} s at full load, ` +
          judged(w.downTransitions === 0 && w.notUpReads === 0 && w.seconds >= quietGoalSecs)
        : "";
    const slowest = w.checkMs ? String(w.checkMs.max) : "—";
    findings.push(
      `False DOWN, ${w.profile} profile: ${w.downTransitions} DOWN transition(s) of healthy aggregators in ` +
        `${w.seconds.toFixed(0)} s under load (${w.failedChecks} failed check(s), ${w.notUpReads} row(s) read not UP, ` +
        `slowest check read ${slowest} ms ` +
        `against timeout check ${healthCheckTimings[w.profile].timeoutMs} ms)${goal}.`,
    );
  }

  const lost = data.rounds.filter((r) => r.lost > 0);
  findings.push(
    lost.length === 0
      ? `No event lost in ${data.rounds.length} fault(s) (${sum(data.rounds.map((r) => r.linesWritten))} lines ` +
          `written meanwhile); ${sum(data.rounds.map((r) => r.duplicates))} duplicated (at-least-once delivery).`
      : `EVENTS LOST: ${lost.map((r) => `${r.profile} ${r.fault} round ${r.round}: ${r.lost} (${r.lostLines})`).join("; ")}.`,
  );

  const over = data.rounds.filter((r) => !withinBound(r, data.plan.detectionPollMs));
  findings.push(
    over.length === 0
      ? "Every fault was out of rotation within its profile's bound (maxDownDetectionMs), counted from the " +
          "fault in effect, plus one poll."
      : `Beyond the bound (maxDownDetectionMs) or not seen: ${over
          .map((r) => `${r.profile} ${r.fault} round ${r.round} (${r.outOfRotationMs ?? "not seen"} ms)`)
          .join("; ")}.`,
  );
  return findings;
}
