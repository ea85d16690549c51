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

/** Server rows of the CSV, unused `server-template` slots (no address, in maintenance) left out. */
export function parseBackendServers(csv: string): BackendServerStats[] {
  const lines = csv.split("\n").filter((line) => line.trim() !== "");
  if (lines.length === 0 || !lines[0].startsWith("# ")) {
    throw new Error("not HAProxy stats CSV: the first line should be the '# pxname,svname,...' header");
  }
  const columns = lines[0].slice(2).split(",");
  const column = (row: string[], name: string): string => {
    const index = columns.indexOf(name);
    if (index === -1) throw new Error(`HAProxy stats CSV has no '${name}' column`);
    return row[index] ?? "";
  };
  return lines
    .slice(1)
    .map((line) => line.split(","))
    .filter((row) => !["FRONTEND", "BACKEND"].includes(column(row, "svname")))
    .map((row) => ({
      backend: column(row, "pxname"),
      server: column(row, "svname"),
      address: column(row, "addr"),
      status: column(row, "status"),
      currentSessions: Number(column(row, "scur")),
      totalSessions: Number(column(row, "stot")),
      bytesIn: Number(column(row, "bin")),
      bytesOut: Number(column(row, "bout")),
    }))
    .filter((server) => server.address !== "" || !server.status.startsWith("MAINT"));
}
