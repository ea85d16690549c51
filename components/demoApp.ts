/**
 * The demo app beside each agent: a bash loop that appends one sequence-numbered line per interval to
 * a log file, as an application would. Its agent tails that file with Vector's `file` source, which
 * (unlike `demo_logs`) supports end-to-end acknowledgements. Pure: renders the script only.
 *
 * The sequence resumes from the file's last line after a restart, so numbers are never reused or
 * skipped, and the app keeps writing while its agent is down: a gap in what the aggregators received
 * is a lost event, nothing else.
 */
import { demoAppPaths } from "./constants";
import { demoLogLine } from "./vectorConfig";

export interface DemoAppSpec {
  /** The agent that ships this app's log: named in every line, so a person sees whose line it is. */
  agentName: string;
  /** Seconds between lines. */
  intervalSecs: number;
}

/** The script, for `bash -c`. Every line ends with a newline: Vector's file source reads whole lines. */
export function demoAppScript(spec: DemoAppSpec): string {
  if (!/^[a-z0-9-]+$/.test(spec.agentName)) {
    throw new Error(`demo app: agent name ${JSON.stringify(spec.agentName)} is not a plain DNS label`);
  }
  if (!(spec.intervalSecs > 0)) throw new Error(`demo app: interval ${spec.intervalSecs} is not positive`);
  const line = demoLogLine(spec.agentName);
  return [
    "set -eu",
    `log=${demoAppPaths.logFile}`,
    'mkdir -p "$(dirname "$log")"',
    // A torn last line (a crash mid-write) is ended first, then the sequence resumes after the last
    // whole line: a torn number is written again in full, so none is skipped.
    'if [ -s "$log" ] && [ -n "$(tail -c 1 "$log")" ]; then echo >>"$log"; fi',
    `n=$(tail -n 5 "$log" 2>/dev/null | grep -E '^[0-9]+ ${line}$' | tail -n 1 | cut -d ' ' -f 1 || true)`,
    "n=${n:-0}",
    'echo "demo app: appending to $log from sequence $((n + 1))"',
    // `sleep & wait` so that docker stop's SIGTERM ends the loop at once, not after the sleep.
    "trap 'exit 0' TERM INT",
    "while true; do",
    "  n=$((n + 1))",
    `  printf '%d %s\\n' "$n" '${line}' >>"$log"`,
    `  sleep ${spec.intervalSecs} & wait $!`,
    "done",
    "",
  ].join("\n");
}
