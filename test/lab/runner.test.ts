/**
 * scripts/runner.ts with the real Pulumi CLI and a file backend: an inline program with no
 * providers (outputs and a secret only), so it needs no Docker and no plugins.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { labPulumiHomes } from "../../scripts/labMode";
import { labEnvironment, openLabStack, removeLabStack } from "../../scripts/runner";
import { repoRoot } from "../support/host";

const projectName = "runner-test";
const stackName = "lab";
const secretValue = "runner-test-secret-5f2c9d";

describe("runner", () => {
  let backendDir: string;
  let programCalls = 0;

  /** The inline program: one plain output from config, one call counter, one secret. */
  async function program() {
    programCalls += 1;
    const config = new pulumi.Config();
    return {
      greeting: `hello ${config.require("name")}`,
      call: programCalls,
      token: pulumi.secret(secretValue),
    };
  }

  // No providers here: any of the lab's Pulumi homes does.
  const pulumiHome = labPulumiHomes(repoRoot).standins;
  const options = () => ({ stackName, projectName, backendDir, program, pulumiHome });

  beforeAll(() => {
    backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "runner-test-"));
  });

  afterAll(() => {
    fs.rmSync(backendDir, { recursive: true, force: true });
  });

  it("uses the Pulumi home it is given and a passphrase", () => {
    const env = labEnvironment(pulumiHome);
    expect(env.PULUMI_HOME).toBe(path.resolve(__dirname, "../../.lab/pulumi-home-standins"));
    expect(env.PULUMI_CONFIG_PASSPHRASE ?? env.PULUMI_CONFIG_PASSPHRASE_FILE).toBeTruthy();
  });

  it("runs up with the outputs the program returns, secrets marked secret", async () => {
    const stack = await openLabStack({ ...options(), config: { name: "lab" } });
    const result = await stack.up();
    expect(result.summary.result).toBe("succeeded");
    expect(result.outputs.greeting).toEqual({ value: "hello lab", secret: false });
    expect(result.outputs.token).toEqual({ value: secretValue, secret: true });
    expect(await stack.getConfig(`${projectName}:name`)).toEqual({ value: "lab", secret: false });
  });

  it("calls the program function again on a second up, with the new config only", async () => {
    const before = programCalls;
    const stack = await openLabStack({ ...options(), config: { greetingName: "unused", name: "again" } });
    const result = await stack.up();
    expect(programCalls).toBe(before + 1);
    expect(result.outputs.call.value).toBe(before + 1);
    expect(result.outputs.greeting.value).toBe("hello again");

    const reopened = await openLabStack({ ...options(), config: { name: "again" } });
    expect(Object.keys(await reopened.getAllConfig())).toEqual([`${projectName}:name`]);
  });

  it("stores the secret encrypted in the file backend's own state", () => {
    const statePath = path.join(backendDir, ".pulumi", "stacks", projectName, `${stackName}.json`);
    const state = fs.readFileSync(statePath, "utf8");
    expect(state).not.toContain(secretValue);
    expect(state).toContain('"4dabf18193072939515e22adb298388d"');
    expect(state).toContain('"ciphertext"');
  });

  it("destroys and removes the stack; removing again is a no-op", async () => {
    const stack = await openLabStack({ ...options(), config: { name: "again" } });
    const result = await stack.destroy();
    expect(result.summary.result).toBe("succeeded");
    await removeLabStack({ stackName, projectName, backendDir, pulumiHome });
    expect(fs.existsSync(path.join(backendDir, ".pulumi", "stacks", projectName, `${stackName}.json`))).toBe(
      false,
    );
    await expect(removeLabStack({ stackName, projectName, backendDir, pulumiHome })).resolves.toBeUndefined();
  });
});
