/**
 * The README's first command as a user runs it: `npm run lab -- up`, `status`, `scale N`, `down`, on a
 * stack of its own (settings in its own Pulumi.<stack>.yaml, its own ports) in the lab's backend. Run
 * in this machine's mode (in CI: air-gapped, on the bundle's real parts) and, where that is another,
 * once more on the stand-ins, the fallback, so that they keep working.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import { projectName } from "../../components/constants";
import { receivedLogsPath } from "../../components/vectorConfig";
import { detectLabMode, type LabModeKind } from "../../scripts/labMode";
import { stackDockerObjects } from "../../scripts/labStatus";
import { docker, repoRoot } from "../support/host";
import { labStackFile, removeLabCommandStack, writeLabStackFile } from "../support/labCommandStack";

const modes = [...new Set<LabModeKind>([detectLabMode(process.env, repoRoot).kind, "standins"])];

describe.each(modes)("npm run lab (%s mode)", (modeKind) => {
  const stackName = `cmd-${crypto.randomBytes(3).toString("hex")}`;
  const stackFile = labStackFile(stackName);
  const env = { ...process.env, LAB_MODE: modeKind };

  function lab(...args: string[]): string {
    return execFileSync("npm", ["run", "--silent", "lab", "--", ...args, "--stack", stackName], {
      cwd: repoRoot,
      encoding: "utf8",
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  /** Aggregators shown UP in both backends of the status table. */
  function upInStatus(status: string): number {
    const rows = status.split("\n").filter((line) => / UP /.test(line));
    const perBackend = (backend: string) => rows.filter((line) => line.startsWith(backend)).length;
    return Math.min(perBackend("vector_aggregators"), perBackend("remote_write_aggregators"));
  }

  async function statusUntil(aggregators: number): Promise<string> {
    const deadline = Date.now() + 60000;
    let status = "";
    while (Date.now() < deadline) {
      status = lab("status");
      if (upInStatus(status) === aggregators) return status;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    throw new Error(`status never showed ${aggregators} aggregators UP:\n${status}`);
  }

  /** Lines the aggregators wrote from the agent's demo app, once there are some. */
  async function receivedFromAgent(): Promise<string[]> {
    const agent = `${projectName}-${stackName}-agent-0`;
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      const lines = [0, 1].flatMap((index) => {
        const aggregator = `${projectName}-${stackName}-aggregator-${index}`;
        try {
          return docker("exec", aggregator, "cat", receivedLogsPath(aggregator)).split("\n");
        } catch {
          return [];
        }
      });
      const fromAgent = lines.filter((line) => line.includes(`${agent} demo event`));
      if (fromAgent.length > 0) return fromAgent;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    throw new Error(`no event from ${agent} reached an aggregator within 60 s`);
  }

  beforeAll(() => writeLabStackFile(stackName, "test/lab/labCommand.test.ts", { aggregators: 2, agents: 1 }));

  afterAll(() => removeLabCommandStack(stackName, () => lab("down"), env));

  it("up brings a lab whose status shows every aggregator UP, whose events arrive, and prints where to look", async () => {
    const output = lab("up");
    expect(output).toContain(`The lab is up (${modeKind} mode`);
    expect(output).toMatch(/HAProxy stats: +http:\/\/localhost:\d+\/stats/);
    const status = await statusUntil(2);
    expect(status).toMatch(
      new RegExp(`vector-ha-lab-${stackName}-aggregator-0 +aggregator +running +healthy`),
    );
    expect((await receivedFromAgent())[0]).toMatch(/"message":"\d+ vector-ha-lab-cmd-\w+-agent-0 demo event/);
  });

  it("up again on a lab as declared stops after its preview: no update, nothing replaced", () => {
    const output = lab("up");
    expect(output).toContain("No changes: the preview (with refresh) found the lab as declared");
    expect(output).toContain(`The lab is up (${modeKind} mode`);
    expect(output).not.toMatch(/Updating \(|Resources:/);
  });

  it("scale 3 edits the stack file and adds an aggregator that HAProxy sees", async () => {
    lab("scale", "3");
    expect(fs.readFileSync(stackFile, "utf8")).toMatch(/vector-ha-lab:aggregators: 3\n/);
    expect(fs.readFileSync(stackFile, "utf8")).toMatch(/^# Written by test/);
    await statusUntil(3);
  });

  it("scale refuses a bad count by name and changes nothing", () => {
    expect(() => lab("scale", "0")).toThrow(/aggregators: got "0"; allowed: a whole number from 1/);
    expect(fs.readFileSync(stackFile, "utf8")).toMatch(/vector-ha-lab:aggregators: 3\n/);
  });

  it("watch --frames 3 shows every aggregator UP in both backends, the agent, and events flowing", () => {
    const output = lab("watch", "--frames", "3");
    // Piped, watch prints plain frames one after the other: the last one is the lab after 3 s.
    const frames = output.split(/^(?=vector-ha-lab watch: )/m);
    expect(frames).toHaveLength(3);
    const lines = frames[2].split("\n");
    const columns = (header: string, line: string): Record<string, string> => {
      const names = header.split(/ {2,}/);
      const starts = names.map((name) => header.indexOf(name));
      return Object.fromEntries(
        names.map((name, i) => [name.trim(), line.slice(starts[i], starts[i + 1]).trim()]),
      );
    };
    const aggregatorHeader = lines.find((line) => line.startsWith("AGGREGATOR")) ?? "";
    const aggregators = [0, 1, 2].map((index) => {
      const row = lines.find((line) => line.startsWith(`aggregator-${index} `));
      if (!row) throw new Error(`aggregator-${index} missing from watch's frame:\n${frames[2]}`);
      return columns(aggregatorHeader, row);
    });
    for (const aggregator of aggregators) {
      expect(aggregator).toMatchObject({
        DOCKER: "healthy",
        vector: "UP",
        remote_write: "UP",
      });
    }
    // The demo app writes a line a second: some aggregator takes them.
    expect(Math.max(...aggregators.map((a) => Number(a["EVENTS/S"]) || 0))).toBeGreaterThan(0);
    const agentHeader = lines.find((line) => line.startsWith("AGENT")) ?? "";
    const agentRow = lines.find((line) => line.startsWith("agent-0 "));
    if (!agentRow) throw new Error(`agent-0 missing from watch's frame:\n${frames[2]}`);
    expect(columns(agentHeader, agentRow)).toMatchObject({
      DOCKER: expect.stringMatching(/^running/),
      SENT: expect.stringMatching(/^[1-9]\d*$/),
    });
  });

  it("watch refuses a bad --frames by name", () => {
    expect(() => lab("watch", "--frames", "0")).toThrow(
      /--frames: got "0"; allowed: a whole number from 1 to 100000/,
    );
  });

  it("down leaves no container, network or volume of the stack", () => {
    expect(lab("down")).toMatch(
      `The lab is down: no container, network, volume or image of stack ${stackName} is left.`,
    );
    expect(stackDockerObjects(projectName, stackName)).toEqual({
      containers: [],
      networks: [],
      volumes: [],
      images: [],
    });
  });
});
