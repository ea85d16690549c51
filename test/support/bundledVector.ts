/**
 * The real Vector binary from an air-gapped bundle, as scripts/prepare-machine.sh extracts it
 * (`.lab/vector-<version>/bin/vector`), or undefined where no bundle was prepared. With LAB_BUNDLE
 * set (as in CI) a missing binary is an error, never a silently skipped test.
 */
import * as fs from "fs";
import * as path from "path";
import { vectorVersion } from "../../components/constants";
import { repoRoot } from "./host";

export function bundledVectorBinary(): string | undefined {
  const binary = path.join(repoRoot, ".lab", `vector-${vectorVersion}`, "bin", "vector");
  if (fs.existsSync(binary)) return binary;
  if (process.env.LAB_BUNDLE) {
    throw new Error(`LAB_BUNDLE is set but ${binary} is missing: run scripts/prepare-machine.sh`);
  }
  return undefined;
}
