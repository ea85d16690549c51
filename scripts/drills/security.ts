/**
 * Checks rather than faults, against the lab that is up: who the mTLS ports let in, where the lab's
 * private keys can be found in clear, what the containers are allowed, and how bad input is refused.
 * The checks themselves are securityChecks.ts (the end-to-end test runs them too).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { projectName, vectorPaths } from "../../components/constants";
import { dockerProblem } from "../../components/hostChecks";
import { realHostProbe } from "../../components/hostProbe";
import { labNaming } from "../../components/naming";
import { generationName } from "../../components/pki";
import { settingDefaults } from "../../components/settings";
import { docker } from "../dockerCli";
import { stackDockerObjects } from "../labStatus";
import { expectedRefusals, filesUnder, keyLeaks, privilegeProblems, refusalMatrix } from "../securityChecks";
import { keyFingerprintLine } from "../stateSecrets";
import { stackFile, type SettingChanges } from "../stackSettings";
import { dialAddressOf, publishedPort, type Drill, type DrillLab, type DrillResult } from "./drill";

const repoRoot = path.resolve(__dirname, "..", "..");
const newResult = (): DrillResult => ({ did: [], saw: [], numbers: {}, problems: [] });

const bindAddressOf = (lab: DrillLab): string =>
  lab.settings().hostBindAddress ?? settingDefaults.hostBindAddress;

const mtlsRefusals: Drill = {
  name: "mtls-refusals",
  kind: "check",
  summary: "both mTLS ports refuse no certificate, another CA's, an expired, a server-only one and plaintext",
  async run(lab): Promise<DrillResult> {
    const result = newResult();
    const outputs = await lab.outputs();
    const generation = Number(lab.settings().caGeneration ?? settingDefaults.caGeneration);
    const signingKey = (await lab.privateKeys()).get(`${generationName("pki-ca", generation)}-key`);
    if (signingKey === undefined) throw new Error("the signing CA's key is not in the stack's state");
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lab-drill-"));
    try {
      const outcomes = await refusalMatrix({
        host: dialAddressOf(lab),
        vectorPort: publishedPort(outputs.balancerEndpoints.onHost.vector),
        remoteWritePort: publishedPort(outputs.balancerEndpoints.onHost.remoteWrite),
        caCertPem: outputs.caCertPem,
        client: { cert: outputs.hostAgentCertPem, key: outputs.hostAgentKeyPem },
        signingCaKeyPem: signingKey,
        serverOnly: {
          cert: docker("exec", lab.aggregators[0], "cat", vectorPaths.nodeCert),
          key: docker("exec", lab.aggregators[0], "cat", vectorPaths.nodeKey),
        },
        scratchDir: scratch,
      });
      result.did.push(
        `TLS clients to both published ports from ${dialAddressOf(lab)}: the host agent's certificate and a fresh ` +
          "one from the lab's CA (controls), none, another CA's, an expired one, an aggregator's (server-only), plaintext",
      );
      const expected = expectedRefusals(outcomes);
      for (const [client, outcome] of Object.entries(outcomes)) {
        result.saw.push(`${client}: ${outcome}`);
        if (outcome !== expected[client])
          result.problems.push(`${client}: ${outcome}, should be ${expected[client]}`);
      }
      result.numbers.refused = Object.values(outcomes).filter((o) => o === "refused").length;
      result.numbers.accepted = Object.values(outcomes).filter((o) => o === "accepted").length;
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
    return result;
  },
};

const secretsAtRest: Drill = {
  name: "secrets-at-rest",
  kind: "check",
  summary: "no private key of the lab in clear in the state, the workspace, .lab/, the stack file or any log",
  async run(lab): Promise<DrillResult> {
    const result = newResult();
    const keys = await lab.privateKeys();
    const files = [...filesUnder(path.join(repoRoot, ".lab")), stackFile(lab.stackName)].filter((f) =>
      fs.existsSync(f),
    );
    const containers = stackDockerObjects(projectName, lab.stackName).containers;
    result.did.push(
      `read the stack's ${keys.size} private keys from its state (decrypted), and looked for each in ` +
        `${files.length} files under .lab/ and the stack file, and in the logs of ${containers.length} containers`,
    );
    const leaks = keyLeaks([...keys.values()].map(keyFingerprintLine), files, containers);
    const stateFiles = files.filter((f) => f.includes(`${path.sep}.pulumi${path.sep}stacks${path.sep}`));
    result.saw.push(
      `${stateFiles.length} state files among them; found in clear: ${leaks.length === 0 ? "none" : leaks.join(", ")}`,
    );
    result.numbers.keysSearched = keys.size;
    result.numbers.filesSearched = files.length;
    result.numbers.leaks = leaks.length;
    if (stateFiles.length === 0) result.problems.push("the stack's state was not among the files searched");
    for (const leak of leaks) result.problems.push(`a private key in clear: ${leak}`);
    return result;
  },
};

const leastPrivilege: Drill = {
  name: "least-privilege",
  kind: "check",
  summary: "ports on the bind address only; no privileged, no added capability, no Docker socket; keys 0400",
  async run(lab): Promise<DrillResult> {
    const result = newResult();
    const containers = stackDockerObjects(projectName, lab.stackName).containers;
    const problems = privilegeProblems({
      containers,
      balancer: lab.naming.balancerContainerName,
      bindAddress: bindAddressOf(lab),
      vectorContainers: [...lab.aggregators, ...lab.agents],
    });
    result.did.push(`inspected ${containers.length} containers, and the user and key file mode inside each`);
    result.saw.push(problems.length === 0 ? "nothing beyond what each needs" : `${problems.length} problems`);
    result.numbers.containersChecked = containers.length;
    result.problems.push(...problems);
    return result;
  },
};

/** One bad input: what is set, and what its message must name besides "allowed". */
interface BadInput {
  what: string;
  changes: SettingChanges | Record<string, string>;
  mentions: string[];
}

/** A port held on `address` by this process while `use` runs. */
async function withPortHeld<T>(address: string, use: (port: number) => Promise<T>): Promise<T> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, address, resolve);
  });
  try {
    return await use((server.address() as net.AddressInfo).port);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * What prepare-machine.sh says of a bundle with one archive damaged: a copy of the bundle made of
 * links, but for that archive, rewritten. It stops at the checksums, before installing anything.
 */
function damagedBundleMessage(bundleDir: string): string | undefined {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "lab-damaged-bundle-"));
  try {
    for (const name of fs.readdirSync(bundleDir))
      fs.symlinkSync(path.join(bundleDir, name), path.join(copy, name));
    const [victim] = fs
      .readFileSync(path.join(bundleDir, "SHA256SUMS"), "utf8")
      .split("\n")
      .map((line) => line.trim().split(/\s+/)[1])
      .filter(Boolean);
    fs.rmSync(path.join(copy, victim));
    fs.writeFileSync(path.join(copy, victim), "not the archive");
    const run = spawnSync("bash", [path.join(repoRoot, "scripts", "prepare-machine.sh")], {
      encoding: "utf8",
      env: { ...process.env, LAB_BUNDLE: copy },
    });
    return run.status === 0 ? undefined : run.stderr.trim();
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

const badInput: Drill = {
  name: "bad-input",
  kind: "check",
  summary:
    "bad settings, a busy port, a foreign address, a missing image or a damaged bundle file, no Docker: refused",
  async run(lab, progress): Promise<DrillResult> {
    const result = newResult();
    const before = JSON.stringify(stackDockerObjects(projectName, lab.stackName));
    const vectorPort = lab.settings().vectorPort ?? String(settingDefaults.vectorPort);
    let refusals = 0;
    // `allowed`: where the message says what would do (for a bundle file, the checksum it should have).
    const check = (
      what: string,
      message: string | undefined,
      mentions: string[],
      allowed = "allowed",
    ): void => {
      const missing =
        message === undefined ? ["any refusal"] : [...mentions, allowed].filter((m) => !message.includes(m));
      const lines = message?.split("\n") ?? [];
      const line = lines.find((l) => l.includes(mentions[0])) ?? lines.find((l) => l.trim() !== "");
      result.saw.push(`${what}: ${line === undefined ? "accepted" : line.replace(/^\s*-\s*/, "")}`);
      if (missing.length > 0)
        result.problems.push(`${what}: the message does not name ${missing.join(", ")}`);
      else refusals++;
    };
    const cases: BadInput[] = [
      { what: "aggregators 0", changes: { aggregators: "0" }, mentions: ["aggregators", '"0"'] },
      { what: "agents not a number", changes: { agents: "two" }, mentions: ["agents", '"two"'] },
      { what: "an unknown balance", changes: { balance: "random" }, mentions: ["balance", "roundrobin"] },
      {
        what: "an unknown health-check profile",
        changes: { healthCheckProfile: "instant" },
        mentions: ["healthCheckProfile", '"instant"', "standard, fast"],
      },
      {
        what: "a typo'd key",
        changes: { aggregator: "3" },
        mentions: ["aggregator", "did you mean aggregators"],
      },
      {
        what: "two settings on one port",
        changes: { statsPort: vectorPort },
        mentions: ["statsPort", "vectorPort"],
      },
      {
        what: "renewal longer than validity",
        changes: { certValidityHours: "10", certEarlyRenewalHours: "11" },
        mentions: ["certEarlyRenewalHours", '"11"'],
      },
      {
        what: "a bind address that is a name",
        changes: { hostBindAddress: "localhost" },
        mentions: ["hostBindAddress", '"localhost"'],
      },
      // 192.0.2.0/24 is reserved for documentation: on no host. Only looked up, never dialled.
      {
        what: "a bind address not on this host",
        changes: { hostBindAddress: "192.0.2.10" },
        mentions: ["hostBindAddress", "192.0.2.10"],
      },
      {
        what: "an image missing in air-gapped mode",
        changes: { useLocalImages: "true", haproxyImage: "vector-ha-lab/no-such-image:1" },
        mentions: ["haproxyImage", "no-such-image"],
      },
    ];
    for (const c of cases) {
      progress(c.what);
      check(c.what, await lab.previewWith(c.changes as SettingChanges), c.mentions);
    }
    progress("a port another program holds");
    await withPortHeld(dialAddressOf(lab), async (port) =>
      check(`a port in use on the host (${port})`, await lab.previewWith({ statsPort: String(port) }), [
        "statsPort",
        String(port),
        "in use",
      ]),
    );
    let stackNameMessage: string | undefined;
    try {
      labNaming(projectName, "Not_A_Docker_Name");
    } catch (error) {
      stackNameMessage = (error as Error).message;
    }
    check("a stack name Docker cannot use", stackNameMessage, ["Not_A_Docker_Name"]);
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${path.join(os.tmpdir(), "no-docker-here.sock")}`;
    try {
      check("no Docker engine", await dockerProblem(realHostProbe()), ["Docker", "no-docker-here.sock"]);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
    if (lab.bundleDir !== undefined) {
      progress("a damaged bundle file");
      check(
        "a damaged bundle file",
        damagedBundleMessage(lab.bundleDir),
        ["is damaged", "its sha256 is"],
        "SHA256SUMS says",
      );
    }
    result.did.push(
      `${cases.length + 1} bad settings previewed through the program (not written to the stack file), a stack ` +
        "name checked, and the Docker check pointed at a socket where no engine runs",
    );
    const after = JSON.stringify(stackDockerObjects(projectName, lab.stackName));
    result.saw.push(`the stack's Docker objects ${after === before ? "unchanged" : "CHANGED"}`);
    if (after !== before) result.problems.push("bad input changed the stack's Docker objects");
    result.numbers.refusals = refusals;
    return result;
  },
};

export const securityDrills: Drill[] = [mtlsRefusals, secretsAtRest, leastPrivilege, badInput];
