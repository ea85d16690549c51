/**
 * The README's first command as a user runs it: `npm run lab -- up`, `status`, `scale N`, `down`, on a
 * stack of its own (settings in its own Pulumi.<stack>.yaml, its own ports) in the lab's backend.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { projectName } from "../../components/constants";
import { detectLabMode } from "../../scripts/labMode";
import { stackDockerObjects } from "../../scripts/labStatus";
import { labPulumiHome, removeLabStack } from "../../scripts/runner";
import { docker, freePort, repoRoot } from "../support/host";

const stackName = `cmd-${crypto.randomBytes(3).toString("hex")}`;
const stackFile = path.join(repoRoot, `Pulumi.${stackName}.yaml`);

function lab(...args: string[]): string {
  return execFileSync("npm", ["run", "--silent", "lab", "--", ...args, "--stack", stackName], {
    cwd: repoRoot,
    encoding: "utf8",
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

describe("npm run lab", () => {
  beforeAll(async () => {
    const [vectorPort, remoteWritePort, statsPort] = [await freePort(), await freePort(), await freePort()];
    fs.writeFileSync(
      stackFile,
      [
        "# Written by test/lab/labCommand.test.ts; removed when it ends.",
        "config:",
        `  ${projectName}:aggregators: 2`,
        `  ${projectName}:agents: 1`,
        `  ${projectName}:vectorPort: ${vectorPort}`,
        `  ${projectName}:remoteWritePort: ${remoteWritePort}`,
        `  ${projectName}:statsPort: ${statsPort}`,
        "",
      ].join("\n"),
    );
  });

  afterAll(async () => {
    try {
      if (docker("ps", "-aq", "--filter", `label=vector-ha-lab.stack=${stackName}`)) lab("down");
    } finally {
      const mode = detectLabMode(process.env, labPulumiHome());
      await removeLabStack({
        stackName,
        backendDir: path.join(repoRoot, ".lab", "state"),
        pulumiHome: mode.pulumiHome,
      });
      fs.rmSync(stackFile, { force: true });
    }
  });

  it("up brings a lab whose status shows every aggregator UP, and prints where to look", async () => {
    const output = lab("up");
    expect(output).toMatch(/The lab is up \((standins|real) mode/);
    expect(output).toMatch(/HAProxy stats: +http:\/\/localhost:\d+\/stats/);
    const status = await statusUntil(2);
    expect(status).toMatch(
      new RegExp(`vector-ha-lab-${stackName}-aggregator-0 +aggregator +running +healthy`),
    );
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
