/**
 * The lab's Pulumi state lives in a file backend (gocloud's fileblob). By default fileblob writes a
 * JSON "sidecar" (`<file>.attrs`: content type and MD5) beside every state file, and it writes that
 * sidecar in place, not by rename: a `pulumi` killed at that instant leaves it empty, and from then
 * on every command that reads the stack (`stack ls`, `select`, `up`) fails with a bare "error: EOF".
 * Pulumi never uses those attributes, so the lab asks fileblob not to write them (`metadata=skip`),
 * and removes the half-written ones a state made before (or by another client) may still hold.
 */
import * as fs from "fs";
import * as path from "path";

/** The backend URL of a state folder: no sidecars, so no half-written one can break the state. */
export function fileBackendUrl(backendDir: string): string {
  return `file://${path.resolve(backendDir)}?metadata=skip`;
}

function sidecarsUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((entry) => {
    const file = path.join(entry.parentPath, entry.name);
    return entry.isFile() && entry.name.endsWith(".attrs") ? [file] : [];
  });
}

function isWhole(sidecar: string): boolean {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(sidecar, "utf8"));
    return typeof parsed === "object" && parsed !== null;
  } catch {
    return false;
  }
}

/**
 * Removes every sidecar under the backend's `.pulumi` folder that is not a whole JSON object (fileblob
 * reads a missing one as "no attributes"); returns one line per file removed.
 */
export function removeHalfWrittenSidecars(backendDir: string): string[] {
  return sidecarsUnder(path.join(backendDir, ".pulumi"))
    .filter((sidecar) => !isWhole(sidecar))
    .map((sidecar) => {
      fs.rmSync(sidecar);
      return `removed ${path.relative(backendDir, sidecar)}, a state sidecar a killed pulumi left half-written`;
    });
}
