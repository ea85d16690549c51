/**
 * An `up` interrupted in the middle of a scale-out (Ctrl-C, then killed before it could finish): the
 * next `up` must converge with no orphan and no hand work. The lab command clears what was pending
 * (scripts/interruptedUpdate.ts) and says so; the drill then scales back to where it started.
 */
import { spawn } from "child_process";
import { containerExists, containerRunning } from "../dockerCli";
import { DeliveryLedger, describeLost, writtenByDemoApps } from "../delivery";
import { waitUntil, type Drill, type DrillResult } from "./drill";

export const interruptedUpDrill: Drill = {
  name: "interrupted-up",
  summary: "an up killed mid scale-out (SIGINT, then SIGKILL): the next up converges, with no orphan",
  async run(lab, progress): Promise<DrillResult> {
    const result: DrillResult = { did: [], saw: [], numbers: {}, problems: [] };
    const before = lab.aggregators.length;
    const target = before + 2;
    const newNames = [before, before + 1].map((i) => lab.naming.aggregatorName(i));
    const ledger = new DeliveryLedger();
    const every = [...lab.aggregators, ...newNames];
    ledger.collect(every);
    const from = writtenByDemoApps(lab.demoAppOfAgent);

    // The scale-out, in its own process group, interrupted once its first new container exists.
    const { command, args } = lab.commandLine("scale", String(target));
    const child = spawn(command, args, { detached: true, stdio: "ignore" });
    const started = Date.now();
    const created = await waitUntil("a new aggregator container", 90000, () =>
      newNames.some(containerExists) ? true : undefined,
    ).catch((error: Error) => error);
    process.kill(-child.pid!, "SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 700));
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // it had already stopped on the SIGINT
    }
    result.did.push(
      `npm run lab -- scale ${target} (from ${before}); SIGINT ${((Date.now() - started) / 1000).toFixed(1)} s in, ` +
        "once its first new container existed, then SIGKILL 0.7 s later",
    );
    if (created instanceof Error) result.problems.push(created.message);
    progress("interrupted the scale-out");
    const orphansLeft = await lab.orphans();
    result.saw.push(
      `after the kill: orphans ${JSON.stringify(orphansLeft)} (objects the state does not record)`,
    );

    const converging = Date.now();
    const changes = await lab.up().catch((error: Error) => error);
    if (changes instanceof Error) {
      result.problems.push(`the next up failed: ${changes.message.split("\n").slice(0, 5).join(" ")}`);
      return result;
    }
    result.did.push("npm run lab -- up");
    result.numbers.convergeMs = Date.now() - converging;
    result.saw.push(`up changed: ${JSON.stringify(changes)}`);
    const running = newNames.filter(containerRunning);
    if (running.length !== 2)
      result.problems.push(`after up, ${2 - running.length} of the new aggregators not running`);
    const orphansAfter = await lab.orphans();
    result.numbers.orphansAfterUp = orphansAfter.length;
    if (orphansAfter.length > 0) result.problems.push(`orphans after up: ${orphansAfter.join(", ")}`);

    // Everything written until now arrived (from the new aggregators too), before they go again.
    const to = writtenByDemoApps(lab.demoAppOfAgent);
    let accounted = ledger.account(from, to);
    await waitUntil("every line delivered", 60000, () => {
      ledger.collect(every);
      accounted = ledger.account(from, to);
      return Object.values(accounted.lost).every((m) => m.length === 0) ? true : undefined;
    }).catch(() => undefined);
    const lost = Object.values(accounted.lost).reduce((sum, m) => sum + m.length, 0);
    result.numbers.lostEvents = lost;
    result.numbers.duplicateEvents = accounted.duplicates;
    if (lost > 0) result.problems.push(`${lost} events lost: ${describeLost(accounted.lost)}`);

    await lab.configure({ aggregators: String(before) });
    result.did.push(`npm run lab -- scale ${before}, back to where the drill started`);
    return result;
  },
};
