/**
 * An agent's disk buffer filled while every aggregator is down: with `when_full: block` the agent
 * must stop reading (its file source waits), not crash and not drop, and deliver everything once the
 * aggregators are back. The buffer is filled by a burst of lines appended to the demo app's log (its
 * own numbering continued, the app stopped meanwhile), as a chatty application would.
 */
import { componentIds } from "../../components/vectorConfig";
import { demoAppPaths, minimumDiskBufferBytes, vectorPaths } from "../../components/constants";
import { demoLogLine } from "../../components/vectorConfig";
import { docker } from "../dockerCli";
import { DeliveryLedger, describeLost, writtenByDemoApps } from "../delivery";
import { waitUntil, type Drill, type DrillResult } from "./drill";

/**
 * The burst: lines of about 1 KB (the demo line, then padding), so that fewer events fill the buffer's
 * 256 MiB and the drill drains in seconds, not minutes. 320 000 of them make about 330 MB in the
 * buffer's encoding: past its size. (Measured: 1.6 million short lines took only 140 MiB.)
 */
export const burstLines = 320_000;
const paddingBytes = 960;

/** The burst's size in the log file, at the least (numbers and newlines left out). */
function burstBytes(agent: string): number {
  return burstLines * (demoLogLine(agent).length + 1 + paddingBytes);
}

export const bufferFullDrill: Drill = {
  name: "buffer-full",
  summary:
    "an agent's disk buffer filled while every aggregator is down: it blocks, never crashes, then delivers all",
  async run(lab, progress): Promise<DrillResult> {
    const result: DrillResult = { did: [], saw: [], numbers: {}, problems: [] };
    const agent = lab.agents[0];
    const app = lab.demoAppOfAgent[agent];
    const ledger = new DeliveryLedger();
    ledger.collect(lab.aggregators);
    const restartsBefore = docker("inspect", "-f", "{{.RestartCount}}", agent);
    const from = writtenByDemoApps(lab.demoAppOfAgent);

    for (const aggregator of lab.aggregators) docker("stop", aggregator);
    result.did.push(`docker stop ${lab.aggregators.join(" ")} (every aggregator down)`);
    progress("every aggregator stopped");

    // The burst: the app stopped, its numbering continued in its own file, the app started again.
    docker("stop", app);
    const image = docker("inspect", "-f", "{{.Config.Image}}", app);
    const script = [
      "set -eu",
      `log=${demoAppPaths.logFile}`,
      `last=$(tail -n 1 "$log" | cut -d ' ' -f 1)`,
      `pad=$(head -c ${paddingBytes} /dev/zero | tr '\\0' x)`,
      // The last 5 lines plain: the app resumes its numbering from a plain line (components/demoApp.ts).
      `seq $((last + 1)) $((last + ${burstLines} - 5)) | sed "s/$/ ${demoLogLine(agent)} $pad/" >>"$log"`,
      `seq $((last + ${burstLines} - 4)) $((last + ${burstLines})) | sed 's/$/ ${demoLogLine(agent)}/' >>"$log"`,
    ].join("\n");
    const volume = lab.naming.logVolumeName(app);
    docker(
      "run",
      "--rm",
      "--network",
      "none",
      "-v",
      `${volume}:${demoAppPaths.logDir}`,
      "--entrypoint",
      "bash",
      image,
      "-c",
      script,
    );
    docker("start", app);
    result.did.push(
      `appended ${burstLines} lines of about 1 KB (${(burstBytes(agent) / 2 ** 20).toFixed(0)} MiB) to ${app}'s log ` +
        "(its numbering continued), then started it again",
    );
    progress(`appended ${burstLines} lines; waiting for ${agent}'s buffer to fill`);

    // Full: the logs sink's buffer (not the metrics sink's, which grows on) stops growing, with the
    // burst bigger than what it holds and nothing draining: the writer blocks. Vector's disk buffer
    // blocks once about one data file (128 MiB) is written, half its max_size (measured, 2026-11).
    const bufferDir = `${vectorPaths.dataDir}/buffer/v2/${componentIds.toBalancer}`;
    const bufferBytes = () => Number(docker("exec", agent, "du", "-sb", bufferDir).split(/\s+/)[0]);
    let last = -1;
    let steadySince = Date.now();
    const full = await waitUntil(
      "the buffer full (steady for 10 s, holding 40 % of its size or more)",
      180000,
      () => {
        const now = bufferBytes();
        if (now !== last) {
          last = now;
          steadySince = Date.now();
        }
        return now >= 0.4 * minimumDiskBufferBytes && Date.now() - steadySince >= 10000 ? now : undefined;
      },
      1000,
    ).catch((error: Error) => error);
    if (full instanceof Error) {
      result.problems.push(`${full.message} (buffer at ${(last / 2 ** 20).toFixed(0)} MiB)`);
    } else if (full.value >= burstBytes(agent)) {
      result.problems.push(`the buffer took the whole burst (${full.value} bytes): it never had to block`);
    } else {
      result.numbers.bufferBytesWhenBlocked = full.value;
      result.saw.push(
        `${agent}'s buffer (${componentIds.toBalancer}) steady at ${(full.value / 2 ** 20).toFixed(0)} MiB ` +
          `(max_size ${(minimumDiskBufferBytes / 2 ** 20).toFixed(0)} MiB) while the burst is bigger: it blocks`,
      );
    }
    const running = docker("inspect", "-f", "{{.State.Running}} {{.RestartCount}}", agent);
    result.saw.push(
      `${agent} running: ${running.split(" ")[0]}, restarts ${running.split(" ")[1]} (before: ${restartsBefore})`,
    );
    if (running !== `true ${restartsBefore}`)
      result.problems.push(`${agent} crashed or restarted while its buffer was full`);

    const resumed = Date.now();
    for (const aggregator of lab.aggregators) docker("start", aggregator);
    result.did.push(`docker start ${lab.aggregators.join(" ")}`);
    progress("aggregators started; waiting for every line to arrive");
    const to = writtenByDemoApps(lab.demoAppOfAgent);
    let accounted = ledger.account(from, to);
    const drained = await waitUntil(
      "every line delivered",
      600000,
      () => {
        ledger.collect(lab.aggregators);
        accounted = ledger.account(from, to);
        return Object.values(accounted.lost).every((m) => m.length === 0) ? true : undefined;
      },
      1000,
    ).catch((error: Error) => error);
    const lines = lab.agents.reduce((sum, a) => sum + (to[a] - from[a]), 0);
    const lost = Object.values(accounted.lost).reduce((sum, m) => sum + m.length, 0);
    result.numbers.linesWritten = lines;
    result.numbers.lostEvents = lost;
    result.numbers.duplicateEvents = accounted.duplicates;
    if (!(drained instanceof Error)) {
      const seconds = (Date.now() - resumed) / 1000;
      result.numbers.drainSeconds = Math.round(seconds);
      result.numbers.drainEventsPerSecond = Math.round(lines / seconds);
      result.saw.push(`all ${lines} lines delivered ${seconds.toFixed(0)} s after the aggregators came back`);
    }
    if (lost > 0) result.problems.push(`${lost} events lost: ${describeLost(accounted.lost)}`);
    return result;
  },
};
