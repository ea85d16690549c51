import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseLabConfig } from "../../components/config";
import { detectLabMode, localImages } from "../../scripts/labMode";

describe("lab mode", () => {
  const labHome = "/repo/.lab/pulumi-home";
  let binDir: string;
  beforeAll(() => {
    binDir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-mode-"));
    fs.writeFileSync(path.join(binDir, "pulumi-language-nodejs"), "#!/bin/sh\n", { mode: 0o755 });
  });
  afterAll(() => fs.rmSync(binDir, { recursive: true, force: true }));

  it("uses the stand-ins and local images when no full Pulumi installation is on PATH, and says so", () => {
    const mode = detectLabMode({ PATH: "/usr/bin:/bin" }, labHome);
    expect(mode.kind).toBe("standins");
    expect(mode.pulumiHome).toBe(labHome);
    expect(mode.announcement).toMatch(/STAND-INS: the docker and tls provider plugins .* the Vector image/);
    expect(parseLabConfig(mode.configOverrides)).toMatchObject({
      useLocalImages: true,
      haproxyImage: localImages.haproxy,
      vectorImage: localImages.vectorStandin,
    });
  });

  it("uses the real plugins, the official images and the user's Pulumi home with a full installation", () => {
    const mode = detectLabMode({ PATH: `/usr/bin:${binDir}`, PULUMI_HOME: "/home/u/.pulumi" }, labHome);
    expect(mode).toMatchObject({ kind: "real", configOverrides: {}, pulumiHome: "/home/u/.pulumi" });
    expect(parseLabConfig(mode.configOverrides).vectorImage).toBe("timberio/vector:0.57.0-debian");
  });

  it("follows LAB_MODE over the guess, and refuses an unknown LAB_MODE by name", () => {
    expect(detectLabMode({ PATH: binDir, LAB_MODE: "standins" }, labHome).kind).toBe("standins");
    expect(detectLabMode({ PATH: "/bin", LAB_MODE: "real" }, labHome).kind).toBe("real");
    expect(() => detectLabMode({ LAB_MODE: "offline" }, labHome)).toThrow(
      'LAB_MODE: got "offline"; allowed: real or standins (or unset to detect)',
    );
  });
});
