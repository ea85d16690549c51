import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseLabConfig } from "../../components/settings";
import { detectLabMode, labPulumiHomes, localImages } from "../../scripts/labMode";

describe("lab mode", () => {
  let repo: string;
  let binDir: string;
  let bundleDir: string;
  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), "lab-mode-repo-"));
    binDir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-mode-bin-"));
    bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-mode-bundle-"));
    fs.writeFileSync(path.join(binDir, "pulumi-language-nodejs"), "#!/bin/sh\n", { mode: 0o755 });
  });
  afterAll(() => {
    for (const dir of [repo, binDir, bundleDir]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("uses the stand-ins, in their own Pulumi home, with neither a Pulumi installation nor a bundle, and says so", () => {
    const mode = detectLabMode({ PATH: "/usr/bin:/bin" }, repo);
    expect(mode.kind).toBe("standins");
    expect(mode.pulumiHome).toBe(labPulumiHomes(repo).standins);
    expect(mode.announcement).toMatch(/STAND-INS: the docker and tls provider plugins .* the Vector image/);
    expect(parseLabConfig(mode.configOverrides)).toMatchObject({
      useLocalImages: true,
      haproxyImage: localImages.haproxy,
      vectorImage: localImages.vectorStandin,
    });
  });

  it("uses the real plugins, the official images and the user's Pulumi home with a full installation", () => {
    const mode = detectLabMode({ PATH: `/usr/bin:${binDir}`, PULUMI_HOME: "/home/u/.pulumi" }, repo);
    expect(mode).toMatchObject({ kind: "real", configOverrides: {}, pulumiHome: "/home/u/.pulumi" });
    expect(parseLabConfig(mode.configOverrides).vectorImage).toBe("timberio/vector:0.57.0-debian");
  });

  it("runs air-gapped on LAB_BUNDLE, even beside a Pulumi installation: the bundle's parts, local images", () => {
    const mode = detectLabMode({ PATH: binDir, LAB_BUNDLE: bundleDir }, repo);
    expect(mode).toMatchObject({ kind: "airgapped", bundleDir, pulumiHome: labPulumiHomes(repo).bundle });
    expect(mode.announcement).toContain(`bundle ${bundleDir}`);
    expect(mode.announcement).toMatch(/REAL: the Pulumi CLI .* plugins and Vector 0\.57\.0 from the bundle/);
    expect(parseLabConfig(mode.configOverrides)).toMatchObject({
      useLocalImages: true,
      haproxyImage: localImages.haproxy,
      vectorImage: "vector-ha-lab/vector:0.57.0-debian",
    });
  });

  it("finds a bundle in the repository's bundle/ folder, below a full Pulumi installation in preference", () => {
    fs.mkdirSync(path.join(repo, "bundle"));
    fs.writeFileSync(path.join(repo, "bundle", "pulumi-v3.248.0-linux-x64.tar.gz"), "");
    try {
      expect(detectLabMode({ PATH: "/bin" }, repo)).toMatchObject({
        kind: "airgapped",
        bundleDir: path.join(repo, "bundle"),
      });
      expect(detectLabMode({ PATH: binDir }, repo).kind).toBe("real");
    } finally {
      fs.rmSync(path.join(repo, "bundle"), { recursive: true });
    }
  });

  it("does not take the lab's own copy of the bundle's language host for a Pulumi installation", () => {
    const labBin = path.join(repo, ".lab", "cli", "bin");
    fs.mkdirSync(labBin, { recursive: true });
    fs.writeFileSync(path.join(labBin, "pulumi-language-nodejs"), "#!/bin/sh\n", { mode: 0o755 });
    expect(detectLabMode({ PATH: `${labBin}:/bin` }, repo).kind).toBe("standins");
  });

  it("follows LAB_MODE over the guess, and refuses an unknown LAB_MODE or a missing bundle by name", () => {
    expect(detectLabMode({ PATH: binDir, LAB_MODE: "standins" }, repo).kind).toBe("standins");
    expect(detectLabMode({ PATH: "/bin", LAB_MODE: "real" }, repo).kind).toBe("real");
    expect(() => detectLabMode({ LAB_MODE: "offline" }, repo)).toThrow(
      'LAB_MODE: got "offline"; allowed: real, airgapped, standins (or unset to detect)',
    );
    expect(() => detectLabMode({ LAB_MODE: "airgapped", PATH: "/bin" }, repo)).toThrow(
      /LAB_MODE: got "airgapped" but there is no bundle; allowed: set LAB_BUNDLE=DIR/,
    );
    expect(() => detectLabMode({ LAB_BUNDLE: path.join(bundleDir, "nope") }, repo)).toThrow(
      /LAB_BUNDLE: got ".*nope", which is not a folder/,
    );
  });
});
