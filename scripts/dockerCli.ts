/** The docker CLI as the lab's scripts use it: output as text, errors with docker's own message. */
import { execFileSync } from "child_process";

/** Runs `docker ARGS` and returns its output as is (up to 64 MiB: a read of a burst is large). */
export function dockerOutput(...args: string[]): string {
  return execFileSync("docker", args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Runs `docker ARGS` and returns its output trimmed. */
export function docker(...args: string[]): string {
  return dockerOutput(...args).trim();
}

/** Whether the container exists, in any state. */
export function containerExists(name: string): boolean {
  try {
    docker("inspect", "-f", "{{.Id}}", name);
    return true;
  } catch {
    return false;
  }
}

/** Whether the container exists and runs. */
export function containerRunning(name: string): boolean {
  try {
    return docker("inspect", "-f", "{{.State.Running}}", name) === "true";
  } catch {
    return false;
  }
}
