/**
 * scripts/runner.ts with the real Pulumi CLI and a file backend: an inline program with no
 * providers (outputs and a secret only), so it needs no Docker and no plugins.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { labPulumiHomes } from "../../scripts/labMode";
import { labEnvironment, openLabStack, passphraseFile, removeLabStack } from "../../scripts/runner";
import { repoRoot } from "../support/host";

const projectName = "runner-test";
const stackName = "lab";
const secretValue = "runner-test-secret-5f2c9d";

/** Runs `body` as for a user who set no passphrase of their own. */
function withoutUserPassphrase<T>(body: () => T): T {
  const saved = {
    phrase: process.env.PULUMI_CONFIG_PASSPHRASE,
    file: process.env.PULUMI_CONFIG_PASSPHRASE_FILE,
  };
  delete process.env.PULUMI_CONFIG_PASSPHRASE;
  delete process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
  try {
    return body();
  } finally {
    if (saved.phrase !== undefined) process.env.PULUMI_CONFIG_PASSPHRASE = saved.phrase;
    if (saved.file !== undefined) process.env.PULUMI_CONFIG_PASSPHRASE_FILE = saved.file;
  }
}

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

  it("uses the Pulumi home it is given and a random passphrase in a file only its owner reads", () => {
    const env = withoutUserPassphrase(() => labEnvironment(pulumiHome, backendDir));
    expect(env.PULUMI_HOME).toBe(path.resolve(__dirname, "../../.lab/pulumi-home-standins"));
    expect(env.PULUMI_CONFIG_PASSPHRASE).toBeUndefined();
    const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
    expect(file).toBe(passphraseFile(backendDir));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(backendDir).mode & 0o077).toBe(0);
    const passphrase = fs.readFileSync(file, "utf8").trim();
    expect(passphrase).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
    // Made once, then kept: the state's secrets stay readable.
    expect(
      withoutUserPassphrase(() => labEnvironment(pulumiHome, backendDir)).PULUMI_CONFIG_PASSPHRASE_FILE,
    ).toBe(file);
    expect(fs.readFileSync(file, "utf8").trim()).toBe(passphrase);
    // Another backend gets another one: nothing fixed in the code.
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "runner-test-other-"));
    try {
      withoutUserPassphrase(() => labEnvironment(pulumiHome, other));
      expect(fs.readFileSync(passphraseFile(other), "utf8").trim()).not.toBe(passphrase);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it("lets PULUMI_CONFIG_PASSPHRASE win, making no file", () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "runner-test-user-"));
    const saved = process.env.PULUMI_CONFIG_PASSPHRASE;
    process.env.PULUMI_CONFIG_PASSPHRASE = "the user's own";
    try {
      const env = labEnvironment(pulumiHome, other);
      expect(env.PULUMI_CONFIG_PASSPHRASE).toBe("the user's own");
      expect(env.PULUMI_CONFIG_PASSPHRASE_FILE).toBeUndefined();
      expect(fs.existsSync(passphraseFile(other))).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.PULUMI_CONFIG_PASSPHRASE;
      else process.env.PULUMI_CONFIG_PASSPHRASE = saved;
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it("keeps stacks an earlier version made (no passphrase file) readable, and says how to move on", () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "runner-test-former-"));
    const stacks = path.join(other, ".pulumi", "stacks", projectName);
    fs.mkdirSync(stacks, { recursive: true });
    fs.writeFileSync(path.join(stacks, "dev.json"), "{}");
    const warnings: string[] = [];
    const spy = jest.spyOn(console, "error").mockImplementation((text: string) => void warnings.push(text));
    try {
      withoutUserPassphrase(() => labEnvironment(pulumiHome, other));
      const kept = fs.readFileSync(passphraseFile(other), "utf8").trim();
      expect(kept).not.toMatch(/^[A-Za-z0-9_-]{43}$/); // not a new random one: the former stacks' own
      expect(fs.statSync(passphraseFile(other)).mode & 0o777).toBe(0o600);
      expect(warnings.join("\n")).toMatch(/made by an earlier version.*For a random one: take each lab down/);
    } finally {
      spy.mockRestore();
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it("refuses a passphrase file others can read", () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "runner-test-open-"));
    try {
      withoutUserPassphrase(() => labEnvironment(pulumiHome, other));
      fs.chmodSync(passphraseFile(other), 0o644);
      expect(() => withoutUserPassphrase(() => labEnvironment(pulumiHome, other))).toThrow(
        /readable by others.*chmod 600/,
      );
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
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

  it("writes no sidecar a killed pulumi could leave half-written, and mends one an older state has", async () => {
    const stateDir = path.join(backendDir, ".pulumi", "stacks", projectName);
    expect(fs.readdirSync(stateDir).filter((file) => file.endsWith(".attrs"))).toEqual([]);
    // What gocloud's fileblob left when killed mid-write, before the lab asked it for no sidecars.
    fs.writeFileSync(path.join(stateDir, `${stackName}.json.attrs`), "");
    const stack = await openLabStack({ ...options(), config: { name: "again" } });
    expect((await stack.outputs()).greeting.value).toBe("hello again");
    expect(fs.existsSync(path.join(stateDir, `${stackName}.json.attrs`))).toBe(false);
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
