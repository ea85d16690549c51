/**
 * The drills as users run them (`npm run lab -- drill NAME`), against a lab of their own stack brought
 * up by the lab command, in this machine's mode (in CI: air-gapped, on the bundle's real parts). Each
 * must report PASS: nothing lost through the fault, the lab whole again. Their reports are printed, so
 * the outage and duplicates of each run are on record in the CI log.
 */
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import { projectName } from "../../components/constants";
import { drills } from "../../scripts/drills";
import { stackDockerObjects } from "../../scripts/labStatus";
import { docker, repoRoot } from "../support/host";
import { removeLabCommandStack, writeLabStackFile } from "../support/labCommandStack";

describe("npm run lab -- drill", () => {
  const stackName = `drill-${crypto.randomBytes(3).toString("hex")}`;

  function lab(...args: string[]): { status: number | null; output: string } {
    const run = spawnSync("npm", ["run", "--silent", "lab", "--", ...args, "--stack", stackName], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
  }

  beforeAll(async () => {
    await writeLabStackFile(stackName, "test/lab/drills.test.ts", { aggregators: 2, agents: 2 });
    const up = lab("up");
    if (up.status !== 0) throw new Error(`npm run lab -- up failed:\n${up.output}`);
  });

  afterAll(() => removeLabCommandStack(stackName, () => lab("down")));

  it("--list names every drill with what it proves", () => {
    const { status, output } = lab("drill", "--list");
    expect(status).toBe(0);
    for (const drill of drills) expect(output).toContain(`${drill.name.padEnd(20)} ${drill.summary}`);
  });

  it("refuses a drill it does not know, listing the ones it has", () => {
    const { status, output } = lab("drill", "aggregator-explode");
    expect(status).not.toBe(0);
    expect(output).toContain('no drill named "aggregator-explode"; allowed: aggregator-kill,');
  });

  it.each(drills.map((d) => [d.name, d.kind ?? "fault"]))("%s passes (%s)", (name, kind) => {
    const { status, output } = lab("drill", name);
    const start = output.indexOf(`Drill ${name}:`);
    const report = start >= 0 ? output.slice(start) : output;
    console.log(report);
    // A fault must lose nothing; a check has no load to count.
    if (kind === "fault") expect(report).toMatch(/lostEvents: 0\n/);
    expect(report).toMatch(/Verdict: PASS/);
    expect(status).toBe(0);
  });

  it("leaves the lab as it found it: every container of the stack running", () => {
    const names = docker(
      "ps",
      "-a",
      "--filter",
      `label=vector-ha-lab.stack=${stackName}`,
      "--format",
      "{{.Names}} {{.State}}",
    );
    expect(names.split("\n").filter((line) => !line.endsWith(" running"))).toEqual([]);
    expect(stackDockerObjects(projectName, stackName).containers).toHaveLength(2 + 2 * 2 + 1);
  });

  it("down after an interrupted up leaves nothing", async () => {
    const child = spawn("npm", ["run", "--silent", "lab", "--", "scale", "3", "--stack", stackName], {
      cwd: repoRoot,
      detached: true,
      stdio: "ignore",
    });
    const newAggregator = `${projectName}-${stackName}-aggregator-2`;
    const deadline = Date.now() + 90000;
    while (Date.now() < deadline && !docker("ps", "-aq", "--filter", `name=^${newAggregator}$`)) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    process.kill(-child.pid!, "SIGKILL");
    const { status, output } = lab("down");
    expect(status).toBe(0);
    // What it cleared (a stale lock, pending operations, orphans), for the record.
    console.log(
      output
        .split("\n")
        .filter((line) => line.startsWith("Interrupted before: "))
        .join("\n"),
    );
    expect(stackDockerObjects(projectName, stackName)).toEqual({
      containers: [],
      networks: [],
      volumes: [],
      images: [],
    });
  });
});
