/** The lab-scale benchmark: reading docker's and /proc's memory figures, and its tables and chart. */
import {
  parseDockerSize,
  parseMemUsage,
  residentBytes,
  shimContainerId,
} from "../../scripts/bench/engineMemory";
import {
  costPerAddedAggregator,
  labScaleChart,
  labScaleFindings,
  labScaleTables,
  totalBytes,
  type ScaleResult,
} from "../../scripts/bench/labScaleOutcome";
import { chartSvg } from "../../scripts/bench/report";

const MiB = 2 ** 20;

describe("memory figures", () => {
  it("reads docker's sizes in binary and decimal units", () => {
    expect(parseDockerSize("0B")).toBe(0);
    expect(parseDockerSize("12.5MiB")).toBe(12.5 * MiB);
    expect(parseDockerSize("1.5GiB")).toBe(1.5 * 2 ** 30);
    expect(parseDockerSize("300kB")).toBe(300000);
    expect(parseMemUsage("25.1MiB / 23.54GiB")).toBeCloseTo(25.1 * MiB);
  });

  it("refuses a size it cannot read, naming it", () => {
    expect(() => parseDockerSize("12 parsecs")).toThrow(/"12 parsecs"/);
    expect(() => parseMemUsage("--")).toThrow(/"--"/);
  });

  it("reads VmRSS from /proc/PID/status, in bytes", () => {
    const status = [
      "Name:\tdockerd",
      "VmPeak:\t 2000000 kB",
      "VmRSS:\t   81234 kB",
      "RssAnon:\t   50000 kB",
    ].join("\n");
    expect(residentBytes(status)).toBe(81234 * 1024);
    expect(residentBytes("Name:\tkthreadd\nState:\tS (sleeping)\n")).toBeUndefined();
  });

  it("finds the container a containerd shim serves from its command line", () => {
    const id = "ab12".repeat(16);
    const cmdline = [
      "/usr/bin/containerd-shim-runc-v2",
      "-namespace",
      "moby",
      "-id",
      id,
      "-address",
      "/run/c.sock",
      "",
    ];
    expect(shimContainerId(cmdline.join("\0"))).toBe(id);
    expect(shimContainerId("/usr/bin/containerd\0--config\0/etc/c.toml\0")).toBeUndefined();
  });
});

function result(aggregators: number, upSeconds: number, containersMiB: number): ScaleResult {
  return {
    aggregators,
    round: 0,
    upSeconds,
    upCommandSeconds: upSeconds - 1,
    destroySeconds: upSeconds / 2,
    containerBytes: containersMiB * MiB,
    dockerdBytes: 100 * MiB,
    containerdBytes: 40 * MiB,
    shimBytes: aggregators * 5 * MiB,
  };
}

// Up grows 1 s and containers 30 MiB per aggregator from 2 to 8, then 2 s and 30 MiB.
const results = [result(2, 10, 100), result(8, 16, 280), result(16, 32, 520)];

describe("lab-scale outcome", () => {
  it("counts the lab's memory as containers plus dockerd plus containerd", () => {
    expect(totalBytes(results[0])).toBe(240 * MiB);
  });

  it("works out the cost of each added aggregator between counts", () => {
    expect(costPerAddedAggregator(results, (r) => r.upSeconds)).toEqual([
      { from: 2, to: 8, perAggregator: 1 },
      { from: 8, to: 16, perAggregator: 2 },
    ]);
    const [, steps] = labScaleTables(results, 2);
    expect(steps.rows).toEqual([
      ["2", "8", "1.00", "30.0"],
      ["8", "16", "2.00", "30.0"],
    ]);
  });

  it("has one row per count and says how many rounds it ran", () => {
    const [main] = labScaleTables(results, 2);
    expect(main.rows.map((row) => row[0])).toEqual(["2", "8", "16"]);
    expect(main.rows[0][7]).toBe("240");
    expect(labScaleFindings(results, 1).join(" ")).toMatch(/1 round\(s\) per count: one round/);
    // (32 - 10) / (16 - 2) s per aggregator.
    expect(labScaleFindings(results, 1)[0]).toMatch(/cost 1\.57 s of up/);
  });

  it("draws a chart Vega can render", async () => {
    expect(await chartSvg(labScaleChart(results).spec)).toMatch(/^<svg/);
  });
});
