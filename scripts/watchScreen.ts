/**
 * Draws `watch` frames once a second until Ctrl-C or the asked number of frames: redrawn in place
 * with terminal-kit on a terminal (alternate screen, colours), as plain text frames one after the
 * other when stdout is a pipe or a file (scripts, tests).
 */
import { terminal as termkitTerminal } from "terminal-kit";
import {
  frameLines,
  linesText,
  sparklineSeconds,
  type Segment,
  type Tone,
  type WatchFrame,
  type WatchSnapshot,
} from "./watchView";

export interface WatchLoop {
  /** Takes one snapshot of the lab. */
  take: () => Promise<WatchSnapshot>;
  /** The frame for the history so far (oldest first), to fit `width` columns if given (a terminal). */
  frame: (history: WatchSnapshot[], width?: number) => WatchFrame;
  /** Stop after this many frames; undefined: until Ctrl-C. */
  frames?: number;
}

const intervalMs = 1000;
/** Snapshots kept: the sparkline's seconds plus the rate window before its first bar. */
const historyLength = sparklineSeconds + 10;

type Painter = (lines: Segment[][]) => void;
interface Screen {
  /** Columns to fit, on a terminal. */
  width?: () => number;
  paint: Painter;
  /** Gives the terminal back, with the last frame drawn (if any). */
  close: (lastLines?: Segment[][]) => void;
}

function plainScreen(): Screen {
  let first = true;
  return {
    paint: (lines) => {
      // A blank line between frames, so a reader of the log sees where each starts.
      process.stdout.write(`${first ? "" : "\n"}${linesText(lines)}\n`);
      first = false;
    },
    close: () => undefined,
  };
}

function terminalScreen(): Screen {
  const term = termkitTerminal;
  const tones: Record<Tone, (text: string) => void> = {
    good: (text) => term.green.noFormat(text),
    warn: (text) => term.yellow.noFormat(text),
    bad: (text) => term.brightRed.noFormat(text),
    plain: (text) => term.noFormat(text),
  };
  term.fullscreen(true);
  term.hideCursor(true);
  return {
    width: () => term.width,
    paint: (lines) => {
      term.moveTo(1, 1);
      for (const [row, segments] of lines.slice(0, term.height).entries()) {
        // Cut at the terminal's width: a wrapped line would push the frame down.
        let room = term.width;
        for (const segment of segments) {
          const text = segment.text.slice(0, room);
          room -= text.length;
          if (text) tones[segment.tone](text);
        }
        term.eraseLineAfter();
        if (row < lines.length - 1) term("\n");
      }
      term.eraseDisplayBelow();
    },
    close: (lastLines) => {
      term.hideCursor(false);
      term.fullscreen(false);
      // Leaving the alternate screen wipes the view: the last frame stays readable after Ctrl-C.
      if (lastLines) process.stdout.write(`${linesText(lastLines)}\n`);
    },
  };
}

/** Runs the loop; resolves once it stopped (frames drawn, or Ctrl-C). */
export async function runWatch(loop: WatchLoop): Promise<void> {
  const screen = process.stdout.isTTY ? terminalScreen() : plainScreen();
  let stopped = false;
  let wake: () => void = () => undefined;
  const stop = (): void => {
    stopped = true;
    wake();
  };
  process.once("SIGINT", stop);
  const history: WatchSnapshot[] = [];
  let lastLines: Segment[][] | undefined;
  const started = Date.now();
  try {
    for (let frame = 1; !stopped; frame++) {
      history.push(await loop.take());
      if (history.length > historyLength) history.shift();
      if (stopped) break;
      lastLines = frameLines(loop.frame(history, screen.width?.()));
      screen.paint(lastLines);
      if (loop.frames !== undefined && frame >= loop.frames) break;
      // On the second's beat from the start, whatever a snapshot took.
      const wait = started + frame * intervalMs - Date.now();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, wait));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.removeListener("SIGINT", stop);
    screen.close(lastLines);
  }
}
