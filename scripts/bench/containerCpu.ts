/**
 * CPU time a container has used, from its cgroup's own counter: exact, and free to read as often as
 * wanted (unlike `docker stats`, which samples for a second per call). Docker's cgroupfs driver on
 * cgroup v1 keeps it in `cpuacct.usage` (ns), the systemd driver under `docker-<id>.scope`; cgroup v2
 * in `cpu.stat` (`usage_usec`). https://docs.docker.com/engine/containers/runmetrics/
 */
import * as fs from "fs";

export interface CpuCounterFile {
  path: string;
  format: "cpuacct.usage" | "cpu.stat";
}

/** Where the counter of the container with this full id may be, most likely first. */
export function cpuCounterCandidates(containerId: string, cgroupRoot = "/sys/fs/cgroup"): CpuCounterFile[] {
  if (!/^[0-9a-f]{64}$/.test(containerId)) {
    throw new Error(`container id: got ${JSON.stringify(containerId)}; allowed: a full 64-hex-digit id`);
  }
  const v1 = (dir: string): CpuCounterFile => ({
    path: `${cgroupRoot}/${dir}/cpuacct.usage`,
    format: "cpuacct.usage",
  });
  const v2 = (dir: string): CpuCounterFile => ({ path: `${cgroupRoot}/${dir}/cpu.stat`, format: "cpu.stat" });
  return [
    v1(`cpuacct/docker/${containerId}`),
    v1(`cpu,cpuacct/docker/${containerId}`),
    v1(`cpuacct/system.slice/docker-${containerId}.scope`),
    v1(`cpu,cpuacct/system.slice/docker-${containerId}.scope`),
    v2(`system.slice/docker-${containerId}.scope`),
    v2(`docker/${containerId}`),
  ];
}

/** The counter's value in seconds of CPU, or undefined if the text is not that counter. */
export function parseCpuCounter(text: string, format: CpuCounterFile["format"]): number | undefined {
  const raw =
    format === "cpuacct.usage" ? /^\s*(\d+)\s*$/.exec(text)?.[1] : /^usage_usec (\d+)$/m.exec(text)?.[1];
  if (raw === undefined) return undefined;
  return Number(raw) / (format === "cpuacct.usage" ? 1e9 : 1e6);
}

/** The counter file found for each container, so a poll reads one file, not every candidate. */
const foundCounters = new Map<string, CpuCounterFile>();

/** Seconds of CPU the running container has used so far; undefined when no counter can be read. */
export function containerCpuSeconds(containerId: string, cgroupRoot = "/sys/fs/cgroup"): number | undefined {
  const key = `${cgroupRoot}:${containerId}`;
  const known = foundCounters.get(key);
  for (const candidate of known ? [known] : cpuCounterCandidates(containerId, cgroupRoot)) {
    let text: string;
    try {
      text = fs.readFileSync(candidate.path, "utf8");
    } catch {
      continue;
    }
    const seconds = parseCpuCounter(text, candidate.format);
    if (seconds === undefined) continue;
    foundCounters.set(key, candidate);
    return seconds;
  }
  return undefined;
}
