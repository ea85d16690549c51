/**
 * `failover`: how soon HAProxy takes a failed aggregator out of rotation, per way of failing (docker
 * stop, kill, pause, network disconnect) and per health-check profile, with the events lost (must be
 * 0) and duplicated; and whether a loaded lab whose aggregators are all healthy ever sees a false DOWN.
 * One bench stack per profile, all up at once, so each is load for the others. Detection is timed by
 * reading HAProxy's stats CSV every ~50 ms while the docker command runs, with nothing else on the
 * event loop (the delivery ledger's reads block it, so lines are counted after the faults: the
 * aggregators' files keep them).
 */
import { execFile } from "child_process";
import * as os from "os";
import { performance } from "perf_hooks";
import { promisify } from "util";
import { projectName } from "../../components/constants";
import { labNaming } from "../../components/naming";
import type { HealthCheckProfile } from "../../components/settings";
import { DeliveryLedger, describeLost, writtenByDemoApps } from "../delivery";
import { docker } from "../dockerCli";
import { waitUntil } from "../drills/drill";
import type { ServerCheckStats } from "../haproxyStats";
import { balancerServerChecks } from "../labStatus";
import type { BenchContext, BenchOutcome, Benchmark } from "./benchmark";
import {
  benchStackOutputs,
  createBenchStack,
  labVerb,
  removeBenchStack,
  untilAllUp,
  type BenchStack,
} from "./benchStack";
import {
  failoverCharts,
  failoverFindings,
  failoverTables,
  summarizeCheckDurations,
  type FailoverData,
  type FailoverRound,
  type QuietWindow,
} from "./failoverOutcome";
import {
  backendsServing,
  checkCounterIncrease,
  failoverPlan,
  faultCommands,
  faultEventArgs,
  firstEventMs,
  RotationExit,
  serversNotUp,
  victimIndex,
  type FailoverFault,
  type FailoverPlan,
} from "./failoverPlan";

const benchmarkName = "failover";
const runDocker = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds since the last call (or since it was made), for the phases' durations. */
function phaseTimer(): () => number {
  let last = Date.now();
  return () => {
    const now = Date.now();
    const seconds = (now - last) / 1000;
    last = now;
    return seconds;
  };
}

/** One profile's lab, as the benchmark drives it. */
interface FailoverLab {
  profile: HealthCheckProfile;
  stack: BenchStack;
  statsUrl: string;
  networkName: string;
  /** The aggregators' shared network alias: HAProxy's DNS discovery finds them by it. */
  poolAlias: string;
  aggregators: string[];
  agents: string[];
  demoAppOfAgent: Record<string, string>;
  /** What the aggregators received, read from their files (scripts/delivery.ts). */
  ledger: DeliveryLedger;
}

/** The container's address on the lab's network, "" when it is not on it. */
function addressOn(networkName: string, container: string): string {
  return docker(
    "inspect",
    "-f",
    `{{with index .NetworkSettings.Networks "${networkName}"}}{{.IPAddress}}{{end}}`,
    container,
  );
}

/**
 * Runs `body` with one bench stack per profile (settings written, not yet up), then removes them all
 * at once (withBenchStack's way, side by side): each stack's removal is tried whatever happened.
 */
async function withProfileStacks<T>(
  context: BenchContext,
  plan: FailoverPlan,
  body: (stacks: Array<{ profile: HealthCheckProfile; stack: BenchStack }>) => Promise<T>,
): Promise<T> {
  const stacks: Array<{ profile: HealthCheckProfile; stack: BenchStack }> = [];
  try {
    for (const profile of plan.profiles) {
      const settings = {
        aggregators: String(plan.aggregators),
        agents: String(plan.agents),
        healthCheckProfile: profile,
      };
      stacks.push({ profile, stack: await createBenchStack(benchmarkName, context.mode, settings) });
    }
    return await body(stacks);
  } finally {
    await allSettledOrThrow(stacks.map(({ stack }) => removeBenchStack(stack)));
  }
}

/** Waits for every promise to settle, then throws the first failure: none is left running behind. */
async function allSettledOrThrow<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failure = settled.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failure) throw failure.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}

async function openLab(profile: HealthCheckProfile, stack: BenchStack): Promise<FailoverLab> {
  const outputs = await benchStackOutputs(stack);
  const naming = labNaming(projectName, stack.name);
  return {
    profile,
    stack,
    statsUrl: outputs.statsUrl,
    networkName: outputs.networkName,
    poolAlias: naming.aggregatorPoolHostname,
    aggregators: outputs.aggregatorContainerNames,
    agents: outputs.agentContainerNames,
    demoAppOfAgent: Object.fromEntries(
      outputs.agentContainerNames.map((agent, i) => [agent, outputs.demoAppContainerNames[i]]),
    ),
    ledger: new DeliveryLedger(),
  };
}

/** Waits until every agent has delivered a line written after now: load is flowing. */
async function untilDelivering(lab: FailoverLab): Promise<void> {
  lab.ledger.collect(lab.aggregators);
  const start = writtenByDemoApps(lab.demoAppOfAgent);
  await waitUntil(`every agent of ${lab.stack.name} delivering`, 60000, () => {
    lab.ledger.collect(lab.aggregators);
    const highest = lab.ledger.highest();
    return lab.agents.every((agent) => (highest[agent] ?? 0) > start[agent]) ? true : undefined;
  });
}

/**
 * Every lab left alone under load for the window, all at once: HAProxy's check counters before and
 * after, and every server row read every `quietPollMs`.
 */
async function quietWindows(labs: FailoverLab[], plan: FailoverPlan): Promise<QuietWindow[]> {
  const watched = [];
  for (const lab of labs) {
    await untilAllUp(lab.statsUrl, lab.aggregators);
    lab.ledger.collect(lab.aggregators);
    watched.push({
      lab,
      ips: new Set(lab.aggregators.map((name) => addressOn(lab.networkName, name))),
      before: await balancerServerChecks(lab.statsUrl),
      deliveredBefore: lab.ledger.highest(),
      notUp: [] as string[],
      unreadable: 0,
      checkMs: [] as number[],
    });
  }
  const started = Date.now();
  let peakLoadAverage = os.loadavg()[0];
  while (Date.now() - started < plan.quietWindowSecs * 1000) {
    await sleep(plan.quietPollMs);
    peakLoadAverage = Math.max(peakLoadAverage, os.loadavg()[0]);
    for (const w of watched) {
      let rows: ServerCheckStats[];
      try {
        rows = await balancerServerChecks(w.lab.statsUrl, 2000);
      } catch {
        w.unreadable++;
        continue;
      }
      w.notUp.push(...serversNotUp(rows, w.ips));
      for (const row of rows) {
        if (w.ips.has(row.address.split(":")[0]) && row.lastCheckMs !== undefined)
          w.checkMs.push(row.lastCheckMs);
      }
    }
  }
  const seconds = (Date.now() - started) / 1000;
  const windows: QuietWindow[] = [];
  for (const w of watched) {
    const increase = checkCounterIncrease(w.before, await balancerServerChecks(w.lab.statsUrl), w.ips);
    w.lab.ledger.collect(w.lab.aggregators);
    const delivered = w.lab.ledger.highest();
    windows.push({
      profile: w.lab.profile,
      seconds,
      servers: increase.servers,
      downTransitions: increase.downTransitions,
      failedChecks: increase.failedChecks,
      notUpReads: w.notUp.length,
      notUpExamples: w.notUp.slice(0, 10),
      unreadableReads: w.unreadable,
      checkMs: summarizeCheckDurations(w.checkMs),
      linesDelivered: w.lab.agents.reduce(
        (total, agent) => total + (delivered[agent] ?? 0) - (w.deliveredBefore[agent] ?? 0),
        0,
      ),
      peakLoadAverage,
    });
  }
  return windows;
}

/**
 * Runs the fault's docker command and reads HAProxy's rows every `detectionPollMs` until no backend
 * has the victim in rotation (or the timeout): when it left each one, in ms from the command; and when
 * Docker recorded the fault in effect (its event), which on a loaded host can be long after the command
 * began.
 */
async function timeOutOfRotation(
  lab: FailoverLab,
  fault: FailoverFault,
  victim: string,
  inject: string[],
  plan: FailoverPlan,
): Promise<{ exit: RotationExit; faultCommandMs: number; faultEffectMs: number | undefined }> {
  const ip = addressOn(lab.networkName, victim);
  const victimId = docker("inspect", "-f", "{{.Id}}", victim);
  const exit = new RotationExit(backendsServing(await balancerServerChecks(lab.statsUrl), ip));
  const startedEpochMs = Date.now();
  const started = performance.now();
  let faultCommandMs: number | undefined;
  let failed: Error | undefined;
  const command = runDocker("docker", inject).then(
    () => void (faultCommandMs = performance.now() - started),
    (error: Error) => void (failed = error),
  );
  while (exit.outEverywhereMs() === undefined && failed === undefined) {
    const elapsed = performance.now() - started;
    if (elapsed > plan.detectionTimeoutMs) break;
    const rows = await balancerServerChecks(lab.statsUrl, 1000).catch(() => undefined);
    if (rows) exit.observe(backendsServing(rows, ip), performance.now() - started);
    await sleep(Math.max(0, plan.detectionPollMs - (performance.now() - started - elapsed)));
  }
  await command;
  if (failed !== undefined || faultCommandMs === undefined) {
    throw new Error(`docker ${inject.join(" ")}: ${failed?.message ?? "did not finish"}`);
  }
  const events = docker(...faultEventArgs(fault, victim, lab.networkName, startedEpochMs, Date.now()));
  const effectAtMs = firstEventMs(events, victimId);
  return {
    exit,
    faultCommandMs,
    faultEffectMs: effectAtMs === undefined ? undefined : effectAtMs - startedEpochMs,
  };
}

/**
 * Undoes the fault and waits until every aggregator is UP in every backend again; when the docker
 * command does not bring it back within 30 s, the lab's `up` repairs it (as a user would).
 */
async function restore(
  lab: FailoverLab,
  undo: string[],
  progress: (line: string) => void,
): Promise<{ backInRotationMs: number; restoredByUp: boolean }> {
  const started = Date.now();
  try {
    await runDocker("docker", undo);
    await untilAllUp(lab.statsUrl, lab.aggregators, 30000);
    return { backInRotationMs: Date.now() - started, restoredByUp: false };
  } catch (error) {
    progress(
      `${lab.profile}: docker ${undo.join(" ")} did not bring it back (${(error as Error).message}); running up`,
    );
    await labVerb(lab.stack, "up");
    await untilAllUp(lab.statsUrl, lab.aggregators, 120000);
    return { backInRotationMs: Date.now() - started, restoredByUp: true };
  }
}

/**
 * Every fault, `rounds` times, on one lab. Lines are counted per fault from its start to the next
 * fault's (the last: a few seconds after its undoing), once everything written has had time to arrive.
 */
async function faultRounds(
  lab: FailoverLab,
  plan: FailoverPlan,
  progress: (line: string) => void,
): Promise<FailoverRound[]> {
  const measured: Array<Omit<FailoverRound, "linesWritten" | "lost" | "duplicates" | "lostLines">> = [];
  const writtenAtFault: Array<Record<string, number>> = [];
  for (let round = 1; round <= plan.rounds; round++) {
    for (const [faultIndex, fault] of plan.faults.entries()) {
      const victim =
        lab.aggregators[victimIndex(round - 1, faultIndex, plan.faults.length, lab.aggregators.length)];
      await untilAllUp(lab.statsUrl, lab.aggregators, 60000);
      writtenAtFault.push(writtenByDemoApps(lab.demoAppOfAgent));
      const commands = faultCommands(fault, victim, lab);
      const detection = await timeOutOfRotation(lab, fault, victim, commands.inject, plan);
      const restored = await restore(lab, commands.undo, progress);
      const outOfRotationMs = detection.exit.outEverywhereMs();
      measured.push({
        profile: lab.profile,
        fault,
        round,
        victim,
        outOfRotationMs: roundedOrUndefined(outOfRotationMs),
        firstBackendOutMs: roundedOrUndefined(detection.exit.outSomewhereMs()),
        faultCommandMs: Math.round(detection.faultCommandMs),
        faultEffectMs: roundedOrUndefined(detection.faultEffectMs),
        ...restored,
      });
      progress(describeRound(measured[measured.length - 1]));
    }
  }
  // What was written until a few seconds after the last undoing must all arrive before counting.
  await sleep(3000);
  const end = writtenByDemoApps(lab.demoAppOfAgent);
  const nothingMissing = () =>
    Object.values(lab.ledger.account(writtenAtFault[0], end).lost).every((missing) => missing.length === 0);
  await waitUntil(`every line written during ${lab.profile}'s faults delivered`, 90000, () => {
    lab.ledger.collect(lab.aggregators);
    return nothingMissing() ? true : undefined;
  }).catch(() => progress(`${lab.profile}: some lines still missing after 90 s`));
  return measured.map((round, i) => {
    const from = writtenAtFault[i];
    const to = writtenAtFault[i + 1] ?? end;
    const { lost, duplicates } = lab.ledger.account(from, to);
    return {
      ...round,
      linesWritten: lab.agents.reduce((total, agent) => total + (to[agent] ?? 0) - (from[agent] ?? 0), 0),
      lost: Object.values(lost).reduce((total, missing) => total + missing.length, 0),
      duplicates,
      lostLines: describeLost(lost),
    };
  });
}

const roundedOrUndefined = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms));

function describeRound(
  round: Omit<FailoverRound, "linesWritten" | "lost" | "duplicates" | "lostLines">,
): string {
  const out =
    round.outOfRotationMs === undefined
      ? "NOT out of rotation"
      : `out of rotation in ${round.outOfRotationMs} ms from the command` +
        (round.faultEffectMs === undefined
          ? ""
          : ` (${round.outOfRotationMs - round.faultEffectMs} ms from its effect)`);
  return (
    `${round.profile}, round ${round.round}: docker ${round.fault} ${round.victim}: ${out}; ` +
    `back UP ${(round.backInRotationMs / 1000).toFixed(1)} s after the undoing`
  );
}

async function runFailover(context: BenchContext): Promise<BenchOutcome> {
  const plan = failoverPlan(context);
  return withProfileStacks(context, plan, async (stacks) => {
    context.progress(
      `up: ${stacks.map(({ profile, stack }) => `${stack.name} (${profile})`).join(", ")}, ` +
        `${plan.aggregators} aggregators and ${plan.agents} agents each, at once`,
    );
    const phase = phaseTimer();
    const ups = await allSettledOrThrow(stacks.map(({ stack }) => labVerb(stack, "up")));
    const labs = await Promise.all(stacks.map(({ profile, stack }) => openLab(profile, stack)));
    for (const lab of labs) await untilDelivering(lab);
    const phaseSeconds: Record<string, number> = { upUntilDelivering: phase() };

    context.progress(
      `quiet window: ${plan.quietWindowSecs} s, every aggregator healthy, agents pushing load`,
    );
    const windows = await quietWindows(labs, plan);
    phaseSeconds.quietWindow = phase();
    for (const w of windows) {
      context.progress(
        `${w.profile}: ${w.downTransitions} DOWN transition(s), ${w.failedChecks} failed check(s), ` +
          `${w.notUpReads} row(s) read not UP, slowest check ${w.checkMs?.max ?? "—"} ms`,
      );
    }

    const rounds: FailoverRound[] = [];
    for (const lab of labs) {
      rounds.push(...(await faultRounds(lab, plan, context.progress)));
      phaseSeconds[`faults ${lab.profile}`] = phase();
    }
    const data: FailoverData = {
      plan,
      rounds,
      windows,
      upSeconds: Object.fromEntries(labs.map((lab, i) => [lab.profile, ups[i].seconds])),
      phaseSeconds,
    };
    return {
      tables: failoverTables(data),
      charts: failoverCharts(data),
      findings: failoverFindings(data, context.smoke),
      data,
    };
  });
}

export const failoverBenchmark: Benchmark = {
  name: benchmarkName,
  summary:
    "time until HAProxy takes a stopped, killed, frozen or disconnected aggregator out of rotation, per " +
    "health-check profile; events lost and duplicated; false DOWNs under load",
  run: runFailover,
};
