/**
 * Log lines of the stand-in: one line per notable thing (start, listen, connect, disconnect, errors),
 * never one per event. Every line ends with "\n": Docker's json-file driver holds a partial line back.
 */

export const programName = "vector-standin";

type Level = "INFO" | "WARN" | "ERROR";

function write(level: Level, message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${level} ${programName}: ${message}\n`);
}

export const log = {
  info: (message: string): void => write("INFO", message),
  warn: (message: string): void => write("WARN", message),
  error: (message: string): void => write("ERROR", message),
};

/** The message of anything thrown, for a log line. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
