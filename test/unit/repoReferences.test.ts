/**
 * A clone of this repository alone must be enough for its readers: every Markdown file and repository
 * path that a comment or a document names exists in the repository. (The team's shared
 * folder beside the repository is not part of a clone; nor are names in another project's tree.)
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../support/host";

/** Tracked text files whose words a reader follows. */
const scanned = execFileSync("git", ["ls-files"], { cwd: repoRoot, encoding: "utf8" })
  .split("\n")
  .filter((file) => /\.(ts|js|sh|md|yaml|json)$|Dockerfile$|^\.ci\/run$/.test(file))
  .filter((file) => file !== "package-lock.json" && !file.endsWith("vector-config-reference.json"))
  .filter((file) => fs.existsSync(path.join(repoRoot, file)));

/** Top-level folders and files of this repository: a path starting with one of them is ours. */
const ownRoots = [
  "components/",
  "scripts/",
  "test/",
  "docs/",
  ".ci/",
  "index.ts",
  "Pulumi.yaml",
  "package.json",
];

/** Names of another project's tree that our documents quote as such (Vector's, Pulumi's, OpenSSL's). */
const foreignPrefixes = ["website/", "lib/vector-core/", "ssl/", "setup/", "sdk/", "pkg/", "distribution/"];

/** What a reader reads: a document whole, of code only its comments. */
function readerText(file: string, text: string): string {
  if (file.endsWith(".md")) return text;
  if (/\.(ts|js)$/.test(file))
    return [...text.matchAll(/\/\*[\s\S]*?\*\/|\/\/.*$/gm)].map((m) => m[0]).join("\n");
  return [...text.matchAll(/#.*$/gm)].map((m) => m[0]).join("\n");
}

function references(text: string): string[] {
  const found = new Set<string>();
  // Markdown file names, and paths below one of our top-level folders; not inside a URL.
  for (const match of text.matchAll(/(?<![\w/.:-])((?:\.{1,2}\/)*[\w.-]+(?:\/[\w.-]+)*)/g)) {
    const candidate = match[1].replace(/[.:,]+$/, "");
    if (
      candidate.endsWith(".md") ||
      ownRoots.some((root) => candidate.startsWith(root) && candidate !== root)
    ) {
      found.add(candidate);
    }
  }
  return [...found];
}

describe("references in this repository point inside it", () => {
  it("scans the code, scripts and documents", () => {
    expect(scanned.length).toBeGreaterThan(50);
    expect(scanned).toEqual(expect.arrayContaining(["README.md", "docs/design.md", "components/lab.ts"]));
  });

  it("names no file that a clone lacks", () => {
    const missing: string[] = [];
    for (const file of scanned) {
      const text = readerText(file, fs.readFileSync(path.join(repoRoot, file), "utf8"));
      for (const reference of references(text)) {
        if (foreignPrefixes.some((prefix) => reference.startsWith(prefix))) continue;
        // Globs and templates (`Pulumi.<stack>.yaml`, `test/unit/**/*.test.ts`) name kinds, not files.
        if (/[*<>{}$]/.test(reference)) continue;
        const candidates = [
          path.join(repoRoot, reference),
          path.join(repoRoot, path.dirname(file), reference),
        ];
        const bareName = !reference.includes("/");
        const exists =
          candidates.some((candidate) => fs.existsSync(candidate)) ||
          (bareName && scanned.some((tracked) => path.basename(tracked) === reference));
        if (!exists) missing.push(`${file}: ${reference}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("never points at the team's shared folder, which a clone does not have", () => {
    const shared = scanned
      .filter((file) => file !== "test/unit/repoReferences.test.ts") // names them to look for them
      .filter((file) =>
        /\b(DESIGN|RUNNING-HERE|STYLE)\.md\b|\.\.\/shared\/(?!airgap)|seed article/.test(
          fs.readFileSync(path.join(repoRoot, file), "utf8"),
        ),
      );
    expect(shared).toEqual([]);
  });
});
