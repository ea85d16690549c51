/** Small helpers for tests that use this machine: the docker CLI, free loopback ports, repo scripts. */
import { execFileSync } from "child_process";
import * as path from "path";

export const repoRoot = path.resolve(__dirname, "../..");

/** Runs the docker CLI and returns its trimmed stdout; throws with its stderr on failure. */
export function docker(...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export { freeLabPorts, freePort, freePorts } from "../../scripts/freePort";

/** Runs a bash script of the repo, returning its output lines and wall time in seconds. */
export function runScript(relativePath: string, ...args: string[]): { lines: string[]; seconds: number } {
  const started = Date.now();
  const stdout = execFileSync("bash", [path.join(repoRoot, relativePath), ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return { lines: stdout.trim().split("\n"), seconds: (Date.now() - started) / 1000 };
}
