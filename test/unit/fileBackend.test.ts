/** scripts/fileBackend.ts: the state folder's sidecar files, on a folder laid out as fileblob does. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fileBackendUrl, removeHalfWrittenSidecars } from "../../scripts/fileBackend";

describe("the lab's file backend", () => {
  let backendDir: string;
  const stacks = () => path.join(backendDir, ".pulumi", "stacks", "vector-ha-lab");

  beforeEach(() => {
    backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "file-backend-"));
    fs.mkdirSync(stacks(), { recursive: true });
  });

  afterEach(() => fs.rmSync(backendDir, { recursive: true, force: true }));

  it("asks fileblob for no sidecars, on the folder's absolute path", () => {
    const url = new URL(fileBackendUrl("relative/state"));
    expect(url.protocol).toBe("file:");
    expect(url.pathname).toBe(path.resolve("relative/state"));
    expect(url.searchParams.get("metadata")).toBe("skip");
  });

  it("removes empty and truncated sidecars, keeps whole ones and every state file", () => {
    const write = (name: string, text: string) => fs.writeFileSync(path.join(stacks(), name), text);
    write("dev.json", '{"version":3}');
    write("dev.json.attrs", "");
    write("dev.json.bak", '{"version":3}');
    write("dev.json.bak.attrs", '{"user.content_type":"text/pl');
    write("ci.json", '{"version":3}');
    write("ci.json.attrs", '{"user.content_type":"text/plain"}');

    const notes = removeHalfWrittenSidecars(backendDir);

    expect(fs.readdirSync(stacks()).sort()).toEqual(["ci.json", "ci.json.attrs", "dev.json", "dev.json.bak"]);
    expect(notes).toHaveLength(2);
    expect(notes.join("\n")).toContain(path.join(".pulumi", "stacks", "vector-ha-lab", "dev.json.attrs"));
    expect(removeHalfWrittenSidecars(backendDir)).toEqual([]);
  });

  it("does nothing where no state was ever written", () => {
    expect(removeHalfWrittenSidecars(path.join(backendDir, "absent"))).toEqual([]);
  });
});
