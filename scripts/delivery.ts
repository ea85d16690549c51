/**
 * Counts what the lab delivered: every demo app numbers its lines (components/demoApp.ts) and every
 * aggregator writes what it received to its own file (components/vectorConfig.ts), so comparing the
 * two tells, per agent, which lines never arrived (lost) and which arrived more than once (duplicates,
 * the price of at-least-once delivery). Reads through `docker exec`; the drills and the tests use it.
 */
import { demoAppPaths } from "../components/constants";
import { receivedLogsPath } from "../components/vectorConfig";
import { dockerOutput } from "./dockerCli";

/** Per agent, how often each sequence number arrived, across every aggregator read so far. */
export class DeliveryLedger {
  private readonly arrivals = new Map<string, Map<number, number>>();
  /**
   * Per aggregator: which file (its inode) and how many bytes of it (whole lines) are counted already.
   * The file is on the aggregator's data volume, so a container replaced (a roll) or re-created keeps
   * it, and reading goes on where it stopped; a volume made anew (scale in, then out) is a new inode.
   */
  private readonly readPosition = new Map<string, { inode: string; bytes: number; lines: number }>();
  /** When each agent's highest delivered number last moved (ms since the epoch). */
  private readonly lastAdvance = new Map<string, number>();
  /** The longest each agent went without a new line delivered, since `resetStalls`. */
  private readonly longestStall = new Map<string, number>();

  /** Reads what each aggregator received since the last call; one not running now is skipped. */
  collect(aggregators: string[], now = Date.now()): void {
    const before = this.highest();
    for (const name of aggregators) {
      const known = this.readPosition.get(name) ?? { inode: "", bytes: 0, lines: 0 };
      let output: string;
      try {
        // The file's inode, then what was added since the last read of that same file, at most 16 MiB
        // at a time (a burst is read over several calls).
        const script =
          'i=$(stat -c %i "$3") || exit 1; echo "$i"; ' +
          'if [ "$i" = "$1" ]; then tail -c "+$2" "$3"; else cat "$3"; fi | head -c 16777216';
        const from = String(known.bytes + 1);
        output = dockerOutput(
          "exec",
          name,
          "sh",
          "-c",
          script,
          "sh",
          known.inode,
          from,
          receivedLogsPath(name),
        );
      } catch {
        continue; // stopped, killed, removed, or nothing received yet
      }
      const inode = output.slice(0, output.indexOf("\n"));
      const text = output.slice(inode.length + 1);
      // Only whole lines: the file sink may be writing the last one.
      const whole = text.slice(0, text.lastIndexOf("\n") + 1);
      const same = inode === known.inode;
      const lines = whole.split("\n").slice(0, -1);
      this.readPosition.set(name, {
        inode,
        bytes: (same ? known.bytes : 0) + Buffer.byteLength(whole),
        lines: (same ? known.lines : 0) + lines.length,
      });
      for (const line of lines) {
        const match = /^(\d+) (\S+) /.exec(String((JSON.parse(line) as { message?: unknown }).message));
        if (!match) continue;
        const [, sequence, agent] = match;
        const counts = this.arrivals.get(agent) ?? new Map<number, number>();
        counts.set(Number(sequence), (counts.get(Number(sequence)) ?? 0) + 1);
        this.arrivals.set(agent, counts);
      }
    }
    for (const [agent, highest] of Object.entries(this.highest())) {
      // The time since this agent's deliveries last moved, at the moment they move again (or now).
      const stall = now - (this.lastAdvance.get(agent) ?? now);
      this.longestStall.set(agent, Math.max(this.longestStall.get(agent) ?? 0, stall));
      if (highest !== before[agent]) this.lastAdvance.set(agent, now);
    }
  }

  /** How many lines the aggregator's current file held at its last read (0 before any). */
  linesReceivedBy(aggregator: string): number {
    return this.readPosition.get(aggregator)?.lines ?? 0;
  }

  /** The highest number delivered from each agent. */
  highest(): Record<string, number> {
    // A loop, not Math.max(...keys): a burst of a million numbers would overflow the call stack.
    return Object.fromEntries(
      [...this.arrivals].map(([agent, counts]) => {
        let highest = 0;
        for (const n of counts.keys()) if (n > highest) highest = n;
        return [agent, highest];
      }),
    );
  }

  /** Starts measuring stalls afresh from `now`. */
  resetStalls(now = Date.now()): void {
    this.longestStall.clear();
    for (const agent of this.arrivals.keys()) this.lastAdvance.set(agent, now);
  }

  /** The longest time any agent's deliveries stood still since `resetStalls`: the outage it saw, in ms. */
  outageMs(): number {
    return Math.max(0, ...this.longestStall.values());
  }

  /**
   * Per agent, the numbers in (from, to] that never arrived, and how many in that range arrived more
   * than once (each extra copy counts).
   */
  account(
    from: Record<string, number>,
    to: Record<string, number>,
  ): { lost: Record<string, number[]>; duplicates: number } {
    const lost: Record<string, number[]> = {};
    let duplicates = 0;
    for (const [agent, start] of Object.entries(from)) {
      const counts = this.arrivals.get(agent) ?? new Map<number, number>();
      lost[agent] = [];
      for (let n = start + 1; n <= (to[agent] ?? start); n++) {
        const seen = counts.get(n) ?? 0;
        if (seen === 0) lost[agent].push(n);
        duplicates += Math.max(0, seen - 1);
      }
    }
    return { lost, duplicates };
  }
}

/** The number of the last whole line each demo app has written: `agent → number`. */
export function writtenByDemoApps(demoAppOfAgent: Record<string, string>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(demoAppOfAgent).map(([agent, app]) => {
      const last = dockerOutput("exec", app, "tail", "-n", "1", demoAppPaths.logFile);
      return [agent, Number(/^(\d+) /.exec(last)?.[1] ?? 0)];
    }),
  );
}

/** Lost numbers as short ranges per agent ("12-15, 40"), for a readable report. */
export function describeLost(lost: Record<string, number[]>): string {
  const parts = Object.entries(lost)
    .filter(([, missing]) => missing.length > 0)
    .map(([agent, missing]) => {
      const ranges: string[] = [];
      for (let i = 0; i < missing.length;) {
        let j = i;
        while (j + 1 < missing.length && missing[j + 1] === missing[j] + 1) j++;
        ranges.push(i === j ? `${missing[i]}` : `${missing[i]}-${missing[j]}`);
        i = j + 1;
      }
      return `${agent}: ${ranges.join(", ")}`;
    });
  return parts.length === 0 ? "none" : parts.join("; ");
}
