/**
 * The demo app's script (components/demoApp.ts) run by bash on this machine, its log file moved to a
 * temporary folder: consecutive sequence numbers with the agent's name, a prompt stop on SIGTERM, and
 * after a restart (even after a torn last line) it goes on with no number skipped.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { demoAppPaths } from "../../components/constants";
import { demoAppScript } from "../../components/demoApp";
import { demoLogLine } from "../../components/vectorConfig";

const agentName = "vector-ha-lab-test-agent-0";

describe("the demo app", () => {
  let dir: string;
  let logFile: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "demo-app-"));
    logFile = path.join(dir, "logs", "app.log");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs the app for `ms`, then SIGTERM; resolves with how long it took to exit after the signal. */
  function runFor(ms: number): Promise<number> {
    const script = demoAppScript({ agentName, intervalSecs: 0.05 }).replaceAll(demoAppPaths.logFile, logFile);
    const app = spawn("bash", ["-c", script], { stdio: "ignore" });
    return new Promise((resolve) => {
      setTimeout(() => {
        const signalled = Date.now();
        app.on("exit", () => resolve(Date.now() - signalled));
        app.kill("SIGTERM");
      }, ms);
    });
  }

  const lines = () => fs.readFileSync(logFile, "utf8").split("\n").filter(Boolean);
  const sequences = () =>
    lines()
      .map((line) => new RegExp(`^(\\d+) ${demoLogLine(agentName)}$`).exec(line)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);

  it("appends consecutive sequence numbers with its agent's name, and stops at once on SIGTERM", async () => {
    const exitMs = await runFor(600);
    expect(exitMs).toBeLessThan(500);
    expect(lines().length).toBeGreaterThan(3);
    expect(sequences()).toEqual(Array.from({ length: lines().length }, (_, i) => i + 1));
  });

  it("resumes after its last line when restarted, and rewrites a torn last line in full", async () => {
    const before = sequences();
    const last = before[before.length - 1];
    fs.appendFileSync(logFile, `${last + 1} ${agentName} dem`); // a crash mid-write
    await runFor(400);
    const after = sequences();
    expect(after.length).toBeGreaterThan(before.length);
    expect(after).toEqual(Array.from({ length: after.length }, (_, i) => i + 1));
    expect(fs.readFileSync(logFile, "utf8").endsWith("\n")).toBe(true);
  });

  it("refuses an agent name that could break out of the script", () => {
    expect(() => demoAppScript({ agentName: "x'; rm -rf /; '", intervalSecs: 1 })).toThrow(
      /not a plain DNS label/,
    );
  });
});
