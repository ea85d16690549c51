/**
 * A fault under the demo apps' steady load: it is injected while what the aggregators received is read
 * on, the lab must be whole again, and then every line written from the fault on must have arrived
 * (lost must be 0); duplicates and the longest time an agent went without a delivery are counted.
 */
import { DeliveryLedger, describeLost, writtenByDemoApps } from "../delivery";
import { upInEveryBackend } from "../labStatus";
import { waitUntil, type DrillLab, type DrillResult } from "./drill";

/**
 * A recovery test: every aggregator UP in every backend of HAProxy again. Its stats request times out
 * quickly: while it waits nothing is read, and the outage would look longer than it is.
 */
export const allAggregatorsUp = (lab: DrillLab) => async (): Promise<boolean> =>
  (await upInEveryBackend(lab.statsUrl, lab.aggregators)).length === lab.aggregators.length;

export interface Fault {
  /** What is done, for the report. */
  describe: string;
  inject(): Promise<void> | void;
  /** True once the lab is whole again; may act (run `up`) to get there. */
  recovered(): Promise<boolean>;
  /**
   * When loss is counted from: "fault" (every line written from the fault on must arrive), or
   * "after-fault" for faults that destroy an aggregator's own file (what it held is gone with it).
   */
  countFrom?: "fault" | "after-fault";
}

/** Runs one fault under load and accounts for every line written meanwhile. */
export async function underLoad(
  lab: DrillLab,
  fault: Fault,
  progress: (line: string) => void,
): Promise<DrillResult> {
  const result: DrillResult = { did: [], saw: [], numbers: {}, problems: [] };
  const ledger = new DeliveryLedger();
  const collect = () => ledger.collect(lab.aggregators);

  // Load is flowing: every agent delivered something new in the last seconds.
  collect();
  const start = writtenByDemoApps(lab.demoAppOfAgent);
  await waitUntil("every agent delivering", 60000, () => {
    collect();
    const highest = ledger.highest();
    return lab.agents.every((agent) => (highest[agent] ?? 0) > start[agent]) ? true : undefined;
  });
  result.saw.push(`every agent delivering before the fault (${lab.agents.length} agents, 1 line/s each)`);

  collect();
  ledger.resetStalls();
  let from = writtenByDemoApps(lab.demoAppOfAgent);
  const injected = Date.now();
  // Reads go on while the fault acts (a rotation takes minutes): the outage is measured between reads.
  let acting = true;
  const action = Promise.resolve()
    .then(() => fault.inject())
    .finally(() => (acting = false));
  await waitUntil("the fault's action", 600000, () => {
    collect();
    return acting ? undefined : true;
  });
  await action;
  result.did.push(fault.describe);
  progress(fault.describe);
  if (fault.countFrom === "after-fault") from = writtenByDemoApps(lab.demoAppOfAgent);

  const recovery = await waitUntil("the lab whole again", 120000, async () => {
    collect();
    return (await fault.recovered()) ? true : undefined;
  }).catch((error: Error) => error);
  if (recovery instanceof Error) {
    result.problems.push(recovery.message);
    return result;
  }
  result.numbers.recoveryMs = Date.now() - injected;
  result.saw.push(
    `the lab whole again ${(result.numbers.recoveryMs / 1000).toFixed(1)} s after the fault began`,
  );
  progress("recovered; waiting for every line written meanwhile");

  // Lines written until a little after recovery, and over at least 10 s, must all arrive.
  // Polling on meanwhile: the outage is measured between reads, so reads must not pause.
  const watchUntil = Math.max(Date.now() + 2000, injected + 10000);
  await waitUntil("the observation window", 20000, () => {
    collect();
    return Date.now() >= watchUntil ? true : undefined;
  });
  const to = writtenByDemoApps(lab.demoAppOfAgent);
  let accounted = ledger.account(from, to);
  await waitUntil("every line written since the fault delivered", 60000, () => {
    collect();
    accounted = ledger.account(from, to);
    return Object.values(accounted.lost).every((missing) => missing.length === 0) ? true : undefined;
  }).catch(() => undefined);

  const written = lab.agents.reduce((sum, agent) => sum + (to[agent] - from[agent]), 0);
  const lost = Object.values(accounted.lost).reduce((sum, missing) => sum + missing.length, 0);
  result.numbers.outageMs = ledger.outageMs();
  result.numbers.linesWritten = written;
  result.numbers.lostEvents = lost;
  result.numbers.duplicateEvents = accounted.duplicates;
  result.saw.push(
    `${written} lines written during the drill: ${lost} lost, ${accounted.duplicates} duplicated; ` +
      `longest an agent went without a delivery: ${(ledger.outageMs() / 1000).toFixed(1)} s`,
  );
  if (lost > 0) result.problems.push(`${lost} events lost: ${describeLost(accounted.lost)}`);
  return result;
}
