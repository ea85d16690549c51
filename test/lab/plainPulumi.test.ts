/**
 * Plain Pulumi in the repository root, as the README shows it for users with Pulumi installed: the
 * bundle's CLI and Node language host (linked in .lab/cli/bin by scripts/prepare-machine.sh), a file
 * backend, `pulumi stack init`, `pulumi up`, `pulumi config set aggregators 3` + `pulumi up` (only the new
 * aggregator's resources), `pulumi destroy` (nothing left). Needs the bundle's language host: LAB_BUNDLE.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectName } from "../../components/constants";
import { detectLabMode } from "../../scripts/labMode";
import { stackDockerObjects } from "../../scripts/labStatus";
import { docker, freeLabPorts, repoRoot } from "../support/host";

const labBin = path.join(repoRoot, ".lab", "cli", "bin");
const hasLanguageHost = fs.existsSync(path.join(labBin, "pulumi-language-nodejs"));
const stackName = `plain-${crypto.randomBytes(3).toString("hex")}`;
const stackFile = path.join(repoRoot, `Pulumi.${stackName}.yaml`);

(hasLanguageHost || process.env.LAB_BUNDLE ? describe : describe.skip)(
  "plain pulumi in the repository root",
  () => {
    const mode = detectLabMode({ ...process.env, LAB_MODE: "airgapped" }, repoRoot);
    const backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "plain-pulumi-"));
    const env = {
      ...process.env,
      PATH: `${labBin}${path.delimiter}${process.env.PATH}`,
      PULUMI_HOME: mode.pulumiHome,
      // What `pulumi login file://DIR` would record, without touching the lab's credentials.
      PULUMI_BACKEND_URL: `file://${backendDir}`,
      PULUMI_CONFIG_PASSPHRASE: crypto.randomBytes(16).toString("hex"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    };
    const pulumi = (...args: string[]) =>
      execFileSync("pulumi", [...args, "--stack", stackName, "--non-interactive"], {
        cwd: repoRoot,
        env,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    const containerId = (name: string) => docker("inspect", "-f", "{{.Id}}", name);
    const prefix = `${projectName}-${stackName}`;

    beforeAll(async () => {
      execFileSync("pulumi", ["stack", "init", stackName, "--non-interactive"], {
        cwd: repoRoot,
        env,
        stdio: "pipe",
      });
      const ports = await freeLabPorts();
      const settings = {
        ...mode.configOverrides,
        agents: "1",
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      };
      pulumi(
        "config",
        "set-all",
        ...Object.entries(settings).flatMap(([key, value]) => ["--plaintext", `${key}=${value}`]),
      );
    });

    afterAll(() => {
      try {
        pulumi("destroy", "--yes", "--skip-preview");
        pulumi("stack", "rm", "--yes");
      } catch {
        const left = stackDockerObjects(projectName, stackName);
        if (left.containers.length) docker("rm", "-f", "-v", ...left.containers);
        if (left.networks.length) docker("network", "rm", ...left.networks);
        if (left.volumes.length) docker("volume", "rm", "-f", ...left.volumes);
      } finally {
        fs.rmSync(stackFile, { force: true });
        fs.rmSync(backendDir, { recursive: true, force: true });
      }
    });

    it("pulumi up brings the lab up: HAProxy, 2 aggregators, an agent and its demo app, running", () => {
      const output = pulumi("up", "--yes", "--skip-preview");
      expect(output).toMatch(/\+ \d+ created/);
      for (const name of ["haproxy", "aggregator-0", "aggregator-1", "agent-0", "demo-app-0"]) {
        expect(docker("inspect", "-f", "{{.State.Status}}", `${prefix}-${name}`)).toBe("running");
      }
    });

    it("pulumi config set aggregators 3 + pulumi up adds only aggregator-2's resources, HAProxy untouched", () => {
      const haproxy = containerId(`${prefix}-haproxy`);
      pulumi("config", "set", "aggregators", "3");
      const output = pulumi("up", "--yes", "--skip-preview");
      expect(output).toMatch(/\+ 5 created/);
      expect(output).not.toMatch(/updated|replaced|deleted/);
      expect(docker("inspect", "-f", "{{.State.Status}}", `${prefix}-aggregator-2`)).toBe("running");
      expect(containerId(`${prefix}-haproxy`)).toBe(haproxy);
    });

    it("pulumi destroy removes every container, network and volume of the stack", () => {
      pulumi("destroy", "--yes", "--skip-preview");
      expect(stackDockerObjects(projectName, stackName)).toEqual({
        containers: [],
        networks: [],
        volumes: [],
        images: [],
      });
    });
  },
);
