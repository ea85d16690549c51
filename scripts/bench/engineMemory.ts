/**
 * Memory of a stack and of the engine under it: each container's usage as `docker stats` reports it
 * (its cgroup's usage less the page cache), and the resident set of the engine's daemons (dockerd,
 * containerd) and of the containerd shim each of the stack's containers has, from /proc. The parsers
 * are pure.
 * Reference: https://docs.docker.com/reference/cli/docker/container/stats/ ; proc(5) for VmRSS.
 */
import * as fs from "fs";
import { docker } from "../dockerCli";

const units: Record<string, number> = {
  B: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};

/** Bytes of a size as the docker CLI prints it (`12.5MiB`, `1.2GB`, `0B`). */
export function parseDockerSize(text: string): number {
  const match = /^\s*([\d.]+)\s*([A-Za-z]+)\s*$/.exec(text);
  const factor = match ? units[match[2]] : undefined;
  if (!match || factor === undefined) {
    throw new Error(
      `docker size ${JSON.stringify(text)}: allowed: a number and one of ${Object.keys(units).join(", ")}`,
    );
  }
  return Number(match[1]) * factor;
}

/** Bytes used, from `docker stats`' MEM USAGE column (`12.5MiB / 7.6GiB`: usage / limit). */
export function parseMemUsage(column: string): number {
  return parseDockerSize(column.split("/")[0]);
}

/** Bytes resident, from the text of /proc/PID/status (`VmRSS:  123456 kB`); undefined for a kernel thread. */
export function residentBytes(status: string): number | undefined {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** The container a containerd shim serves, from its /proc/PID/cmdline (NUL-separated: `… -id ID …`). */
export function shimContainerId(cmdline: string): string | undefined {
  const args = cmdline.split("\0");
  const at = args.indexOf("-id");
  return at >= 0 ? args[at + 1] : undefined;
}

/** Memory of these containers now, by name (one `docker stats --no-stream`). */
export function containerMemory(names: string[]): Record<string, number> {
  if (names.length === 0) return {};
  const lines = docker("stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}", ...names).split("\n");
  return Object.fromEntries(
    lines.filter(Boolean).map((row) => {
      const [name, usage] = row.split("\t");
      return [name, parseMemUsage(usage)];
    }),
  );
}

export interface DaemonMemory {
  /** The engine's daemons: they serve every container on the host, not only the stack's. */
  dockerd: number;
  containerd: number;
  /** The containerd shims of the given containers (one per running container). */
  shims: number;
}

/** Resident bytes of dockerd, containerd and the shims of these containers (full ids), from /proc. */
export function daemonMemory(containerIds: string[]): DaemonMemory {
  const ids = new Set(containerIds);
  const memory: DaemonMemory = { dockerd: 0, containerd: 0, shims: 0 };
  for (const pid of fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    let comm: string;
    let status: string;
    let cmdline: string;
    try {
      comm = fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // comm holds at most 15 characters: `containerd-shim-runc-v2` reads `containerd-shim`.
    const kind =
      comm === "dockerd"
        ? "dockerd"
        : comm === "containerd"
          ? "containerd"
          : comm.startsWith("containerd-shim") && ids.has(shimContainerId(cmdline) ?? "")
            ? "shims"
            : undefined;
    if (kind) memory[kind] += residentBytes(status) ?? 0;
  }
  return memory;
}
