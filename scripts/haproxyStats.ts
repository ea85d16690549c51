/**
 * HAProxy's view of the aggregators, read from its stats endpoint as CSV (`/stats;csv`; the columns
 * are documented in https://docs.haproxy.org/2.6/management.html#9.1). Pure parsing, no I/O.
 */

export interface BackendServerStats {
  backend: string;
  /** Server slot name from the `server-template` (aggregator1..N). */
  server: string;
  /** `ip:port` the slot resolved to, empty for an unused slot. */
  address: string;
  /** UP, DOWN, MAINT (unused slot), NOLB, ... as HAProxy reports it. */
  status: string;
  currentSessions: number;
  totalSessions: number;
  bytesIn: number;
  bytesOut: number;
}

/** A server's health-check counters: what a failover or a false alarm leaves behind. */
export interface ServerCheckStats {
  backend: string;
  server: string;
  address: string;
  status: string;
  /** `chkdown`: times HAProxy marked it DOWN (UP→DOWN transitions) since it started. */
  downTransitions: number;
  /** `chkfail`: failed checks while it was UP (one short of `fall` leaves it UP). */
  failedChecks: number;
  /** `lastchg`: whole seconds since its last UP↔DOWN change. */
  secondsSinceChange: number;
  /** `check_status`: the last check's result (L7OK, L4CON, L4TOUT, L7TOUT, ...). */
  lastCheckStatus: string;
  /** `check_duration`: how long the last completed check took, in ms; undefined before the first. */
  lastCheckMs: number | undefined;
}

/** Reads one named column of a row. */
type ColumnReader = (name: string) => string;

/** Server rows of the CSV, unused `server-template` slots (no address, in maintenance) left out. */
function serverRows(csv: string): ColumnReader[] {
  const lines = csv.split("\n").filter((line) => line.trim() !== "");
  if (lines.length === 0 || !lines[0].startsWith("# ")) {
    throw new Error("not HAProxy stats CSV: the first line should be the '# pxname,svname,...' header");
  }
  const columns = lines[0].slice(2).split(",");
  const reader =
    (row: string[]): ColumnReader =>
    (name) => {
      const index = columns.indexOf(name);
      if (index === -1) throw new Error(`HAProxy stats CSV has no '${name}' column`);
      return row[index] ?? "";
    };
  return lines
    .slice(1)
    .map((line) => reader(line.split(",")))
    .filter((column) => !["FRONTEND", "BACKEND"].includes(column("svname")))
    .filter((column) => column("addr") !== "" || !column("status").startsWith("MAINT"));
}

/** Server rows of the CSV, unused `server-template` slots (no address, in maintenance) left out. */
export function parseBackendServers(csv: string): BackendServerStats[] {
  return serverRows(csv).map((column) => ({
    backend: column("pxname"),
    server: column("svname"),
    address: column("addr"),
    status: column("status"),
    currentSessions: Number(column("scur")),
    totalSessions: Number(column("stot")),
    bytesIn: Number(column("bin")),
    bytesOut: Number(column("bout")),
  }));
}

/** The health-check counters of each server row, unused slots left out as above. */
export function parseServerChecks(csv: string): ServerCheckStats[] {
  return serverRows(csv).map((column) => ({
    backend: column("pxname"),
    server: column("svname"),
    address: column("addr"),
    status: column("status"),
    downTransitions: Number(column("chkdown")),
    failedChecks: Number(column("chkfail")),
    secondsSinceChange: Number(column("lastchg")),
    lastCheckStatus: column("check_status"),
    lastCheckMs: column("check_duration") === "" ? undefined : Number(column("check_duration")),
  }));
}
