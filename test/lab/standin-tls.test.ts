/**
 * The tls stand-in (test/standins/providers/tls) through the real Pulumi engine: an inline program
 * run by scripts/runner.ts on a file backend, with the plugin that scripts/prepare-machine.sh
 * installed in the lab's Pulumi home. What comes out is checked with tools that know nothing of the
 * stand-in: `openssl`, `ssh-keygen`, Node's `tls`, and the backend's own state files.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tlsSocket from "tls";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { OutputMap, Stack, UpResult } from "@pulumi/pulumi/automation";
import { labPulumiHomes } from "../../scripts/labMode";
import { repoRoot } from "../support/host";
import { openLabStack, removeLabStack } from "../../scripts/runner";

/** The stand-in plugins' own Pulumi home (scripts/prepare-machine.sh installs them there). */
const pulumiHome = labPulumiHomes(repoRoot).standins;

const projectName = "standin-tls-test";
const stackName = "tls";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tlsPluginVersion = (require("@pulumi/tls/package.json") as { pulumi: { version: string } }).pulumi
  .version;
const pluginDir = path.resolve(__dirname, `../../.lab/pulumi-home/plugins/resource-tls-v${tlsPluginVersion}`);

const caValidityHours = 48;
const clientValidityHours = 12;
const serverDnsNames = ["localhost", "aggregator-0.lab.internal"];
const serverIpAddresses = ["127.0.0.1"];
/** Resources in the stack, the stack itself included (see `program`). */
const resourceCount = 2 * 2 + 3 * 3 + 2 + 1;

interface IssuedOutputs {
  certPem: string;
  keyPem: string;
  validityStartTime: string;
  validityEndTime: string;
  id: string;
}

/** A key, a request and a certificate signed by `ca`: what the lab does per aggregator and agent. */
function issue(
  name: string,
  ca: { key: tls.PrivateKey; cert: tls.SelfSignedCert },
  args: {
    key: tls.PrivateKeyArgs;
    commonName: string;
    dnsNames?: string[];
    ipAddresses?: string[];
    allowedUses: string[];
    validityPeriodHours: number;
    earlyRenewalHours?: number;
  },
): pulumi.Output<IssuedOutputs> {
  const key = new tls.PrivateKey(`${name}-key`, args.key);
  const request = new tls.CertRequest(`${name}-csr`, {
    privateKeyPem: key.privateKeyPem,
    subject: { commonName: args.commonName, organization: "vector-ha-lab" },
    dnsNames: args.dnsNames,
    ipAddresses: args.ipAddresses,
  });
  const cert = new tls.LocallySignedCert(`${name}-cert`, {
    certRequestPem: request.certRequestPem,
    caPrivateKeyPem: ca.key.privateKeyPem,
    caCertPem: ca.cert.certPem,
    allowedUses: args.allowedUses,
    validityPeriodHours: args.validityPeriodHours,
    earlyRenewalHours: args.earlyRenewalHours,
  });
  return pulumi
    .all([cert.certPem, key.privateKeyPem, cert.validityStartTime, cert.validityEndTime, cert.id])
    .apply(([certPem, keyPem, validityStartTime, validityEndTime, id]) => ({
      certPem,
      keyPem,
      validityStartTime,
      validityEndTime,
      id,
    }));
}

function selfSignedCa(name: string, key: tls.PrivateKeyArgs) {
  const caKey = new tls.PrivateKey(`${name}-key`, key);
  const cert = new tls.SelfSignedCert(`${name}-cert`, {
    privateKeyPem: caKey.privateKeyPem,
    subject: { commonName: `${name} test CA`, organization: "vector-ha-lab" },
    validityPeriodHours: caValidityHours,
    isCaCertificate: true,
    allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
  });
  return { key: caKey, cert };
}

/**
 * A `tls.PrivateKey` declared without @pulumi/tls, so without its `additionalSecretOutputs`: only
 * the plugin's own secret marking keeps this key's PEM secret.
 */
class BarePrivateKey extends pulumi.CustomResource {
  declare readonly privateKeyPem: pulumi.Output<string>;
  constructor(name: string, args: { algorithm: string; ecdsaCurve: string }) {
    super("tls:index/privateKey:PrivateKey", name, { ...args, privateKeyPem: undefined });
  }
}

/**
 * Two CAs (ECDSA P-256 and RSA), a server and a client certificate under the first, a server
 * certificate under the second, and an ED25519 key for its OpenSSH outputs. Config:
 * `serverValidityHours`, `serverEarlyRenewalHours`, and `unsupportedField` (adds an input the
 * stand-in does not implement).
 */
async function program() {
  const config = new pulumi.Config();
  const ecdsaCa = selfSignedCa("ecdsa-ca", { algorithm: "ECDSA", ecdsaCurve: "P256" });
  const rsaCa = selfSignedCa("rsa-ca", { algorithm: "RSA", rsaBits: 2048 });
  const server = issue("server", ecdsaCa, {
    key: { algorithm: "ECDSA", ecdsaCurve: "P256" },
    commonName: "aggregator-0",
    dnsNames: serverDnsNames,
    ipAddresses: serverIpAddresses,
    allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
    validityPeriodHours: config.requireNumber("serverValidityHours"),
    earlyRenewalHours: config.requireNumber("serverEarlyRenewalHours"),
  });
  const client = issue("client", ecdsaCa, {
    key: { algorithm: "ECDSA", ecdsaCurve: "P256" },
    commonName: "agent-0",
    allowedUses: ["digital_signature", "key_encipherment", "client_auth"],
    validityPeriodHours: clientValidityHours,
  });
  const rsaServer = issue("rsa-server", rsaCa, {
    key: { algorithm: "RSA", rsaBits: 2048 },
    commonName: "aggregator-rsa",
    dnsNames: serverDnsNames,
    ipAddresses: serverIpAddresses,
    allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
    validityPeriodHours: clientValidityHours,
  });
  const sshKey = new tls.PrivateKey("ssh-key", { algorithm: "ED25519" });
  const bareKey = new BarePrivateKey("bare-key", { algorithm: "ECDSA", ecdsaCurve: "P384" });
  if (config.getBoolean("unsupportedField")) {
    new tls.SelfSignedCert("unsupported", {
      privateKeyPem: ecdsaCa.key.privateKeyPem,
      validityPeriodHours: 1,
      allowedUses: [],
      maxPathLength: 2,
    });
  }
  return {
    ecdsaCaCertPem: ecdsaCa.cert.certPem,
    ecdsaCaKeyAlgorithm: ecdsaCa.cert.keyAlgorithm,
    ecdsaCaKeyPem: ecdsaCa.key.privateKeyPem,
    rsaCaCertPem: rsaCa.cert.certPem,
    server,
    client,
    rsaServer,
    sshPrivateKeyOpenssh: sshKey.privateKeyOpenssh,
    sshPublicKeyOpenssh: sshKey.publicKeyOpenssh,
    sshFingerprintSha256: sshKey.publicKeyFingerprintSha256,
    sshFingerprintMd5: sshKey.publicKeyFingerprintMd5,
    bareKeyPem: bareKey.privateKeyPem,
  };
}

function openssl(args: string[], input?: string): { ok: boolean; output: string } {
  const result = spawnSync("openssl", args, { input, encoding: "utf8" });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

/** Result of one TLS connection from a client to a server that requires a client certificate. */
interface HandshakeResult {
  /** What the client read: the server writes a greeting only after a completed mutual handshake. */
  received: string;
  clientError?: string;
  serverError?: string;
  /** Common name of the client certificate the server accepted. */
  peerCommonName?: string;
}

async function mutualTlsHandshake(
  server: { certPem: string; keyPem: string },
  client: { certPem: string; keyPem: string } | undefined,
  caPem: string,
): Promise<HandshakeResult> {
  const result: HandshakeResult = { received: "" };
  const listener = tlsSocket.createServer(
    { cert: server.certPem, key: server.keyPem, ca: [caPem], requestCert: true, rejectUnauthorized: true },
    (socket) => {
      const peer = socket.getPeerCertificate();
      result.peerCommonName = typeof peer.subject?.CN === "string" ? peer.subject.CN : undefined;
      socket.end("greeting from the server\n");
    },
  );
  listener.on("tlsClientError", (err) => (result.serverError = err.message));
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const port = (listener.address() as { port: number }).port;
  try {
    await new Promise<void>((resolve) => {
      const socket = tlsSocket.connect({
        host: "127.0.0.1",
        port,
        ca: [caPem],
        ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
      });
      socket.setEncoding("utf8");
      socket.setTimeout(10000, () => socket.destroy(new Error("timed out")));
      socket.on("data", (chunk: string) => (result.received += chunk));
      socket.on("error", (err) => (result.clientError = err.message));
      socket.on("close", () => resolve());
    });
  } finally {
    await new Promise((resolve) => listener.close(resolve));
  }
  return result;
}

/** Every file the file backend keeps under `<backendDir>/.pulumi` (stacks, history, backups). */
function backendFiles(backendDir: string): string[] {
  const root = path.join(backendDir, ".pulumi");
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .map((relative) => path.join(root, relative))
    .filter((file) => fs.statSync(file).isFile());
}

function changeCounts(result: UpResult): Record<string, number> {
  return (result.summary.resourceChanges ?? {}) as Record<string, number>;
}

/** The first line of a PEM block with this label (built, so no key header sits in the repo). */
function pemStart(label: string): RegExp {
  return new RegExp(`^-----BEGIN ${label}-----\n`);
}

describe("tls stand-in through the real engine", () => {
  let backendDir: string;
  let pemDir: string;
  let stack: Stack;
  let firstUp: UpResult;
  let outputs: OutputMap;

  const open = (config: Record<string, string>) =>
    openLabStack({ stackName, projectName, backendDir, config, program, pulumiHome });
  const baseConfig = { serverValidityHours: "24", serverEarlyRenewalHours: "2" };

  /** Writes a PEM to the scratch folder and returns its path, for openssl and ssh-keygen. */
  function pemFile(name: string, content: string): string {
    const file = path.join(pemDir, name);
    fs.writeFileSync(file, content, { mode: 0o600 });
    return file;
  }
  const value = <T>(name: string): T => outputs[name].value as T;

  beforeAll(async () => {
    if (!fs.existsSync(pluginDir)) {
      throw new Error(`no tls plugin in ${pluginDir}: run scripts/prepare-machine.sh first`);
    }
    backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "standin-tls-state-"));
    pemDir = fs.mkdtempSync(path.join(os.tmpdir(), "standin-tls-pem-"));
    stack = await open(baseConfig);
    firstUp = await stack.up();
    outputs = firstUp.outputs;
  });

  afterAll(async () => {
    if (stack) {
      await stack.destroy();
      await removeLabStack({ stackName, projectName, backendDir, pulumiHome });
    }
    for (const dir of [backendDir, pemDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("creates every resource on the first up", () => {
    expect(firstUp.summary.result).toBe("succeeded");
    // 2 CAs × (key + cert), 3 leaves × (key + csr + cert), the ssh and bare keys, the stack itself.
    expect(changeCounts(firstUp)).toEqual({ create: resourceCount });
  });

  it("issues certificates that openssl verifies against their CA, for the right purpose", () => {
    const ecdsaCa = pemFile("ecdsa-ca.pem", value("ecdsaCaCertPem"));
    const rsaCa = pemFile("rsa-ca.pem", value("rsaCaCertPem"));
    const server = pemFile("server.pem", value<IssuedOutputs>("server").certPem);
    const client = pemFile("client.pem", value<IssuedOutputs>("client").certPem);
    const rsaServer = pemFile("rsa-server.pem", value<IssuedOutputs>("rsaServer").certPem);

    expect(openssl(["verify", "-CAfile", ecdsaCa, server, client]).output).toBe(
      `${server}: OK\n${client}: OK\n`,
    );
    expect(openssl(["verify", "-CAfile", rsaCa, rsaServer]).output).toBe(`${rsaServer}: OK\n`);
    expect(openssl(["verify", "-purpose", "sslserver", "-CAfile", ecdsaCa, server]).ok).toBe(true);
    expect(openssl(["verify", "-purpose", "sslclient", "-CAfile", ecdsaCa, client]).ok).toBe(true);
    // Only the uses that were asked for: a client certificate cannot serve, and the reverse.
    expect(openssl(["verify", "-purpose", "sslserver", "-CAfile", ecdsaCa, client]).ok).toBe(false);
    expect(openssl(["verify", "-purpose", "sslclient", "-CAfile", ecdsaCa, server]).ok).toBe(false);
    // A certificate does not verify against the other CA.
    expect(openssl(["verify", "-CAfile", rsaCa, server]).ok).toBe(false);
  });

  it("puts the asked SANs, key usages, CA flag and key algorithm in the certificates", () => {
    const text = (pemText: string) => openssl(["x509", "-noout", "-text"], pemText).output;
    const ca = text(value("ecdsaCaCertPem"));
    expect(ca).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(ca).toMatch(/Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
    expect(ca).toContain("Subject: O = vector-ha-lab, CN = ecdsa-ca test CA");
    expect(ca).toMatch(/Public Key Algorithm: id-ecPublicKey[\s\S]*NIST CURVE: P-256/);
    expect(value("ecdsaCaKeyAlgorithm")).toBe("ECDSA");

    const server = text(value<IssuedOutputs>("server").certPem);
    expect(server).toMatch(
      /Subject Alternative Name: \s+DNS:localhost, DNS:aggregator-0\.lab\.internal, IP Address:127\.0\.0\.1\n/,
    );
    expect(server).toMatch(/Extended Key Usage: \s+TLS Web Server Authentication\n/);
    expect(server).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
    expect(server).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(server).toContain("Issuer: O = vector-ha-lab, CN = ecdsa-ca test CA");
    expect(server).toContain("Subject: O = vector-ha-lab, CN = aggregator-0");
    expect(server).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
    expect(server).toMatch(/Public Key Algorithm: id-ecPublicKey[\s\S]*NIST CURVE: P-256/);

    const client = text(value<IssuedOutputs>("client").certPem);
    expect(client).toMatch(/Extended Key Usage: \s+TLS Web Client Authentication\n/);
    expect(client).not.toContain("Subject Alternative Name");

    const rsaServer = text(value<IssuedOutputs>("rsaServer").certPem);
    expect(rsaServer).toMatch(/Public Key Algorithm: rsaEncryption\s+Public-Key: \(2048 bit\)/);
    expect(rsaServer).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    expect(rsaServer).toMatch(/Extended Key Usage: \s+TLS Web Server Authentication\n/);
  });

  it("gives each certificate the validity asked for, and reports it in its outputs", () => {
    for (const [name, hours] of [
      ["server", 24],
      ["client", clientValidityHours],
    ] as const) {
      const issued = value<IssuedOutputs>(name);
      const dates = openssl(
        ["x509", "-noout", "-startdate", "-enddate", "-dateopt", "iso_8601"],
        issued.certPem,
      );
      const notBefore = Date.parse(/notBefore=(.*)/.exec(dates.output)![1].replace(" ", "T"));
      const notAfter = Date.parse(/notAfter=(.*)/.exec(dates.output)![1].replace(" ", "T"));
      expect(notAfter - notBefore).toBe(hours * 3600 * 1000);
      expect(Math.abs(notBefore - Date.now())).toBeLessThan(10 * 60 * 1000);
      expect(Date.parse(issued.validityStartTime)).toBe(notBefore);
      expect(Date.parse(issued.validityEndTime)).toBe(notAfter);
      expect(issued.validityStartTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  });

  it("writes private keys in the real provider's PEM flavours, as secret outputs", () => {
    expect(value<string>("ecdsaCaKeyPem")).toMatch(pemStart("EC PRIVATE KEY"));
    expect(value<IssuedOutputs>("rsaServer").keyPem).toMatch(pemStart("RSA PRIVATE KEY"));
    expect(value<string>("sshPrivateKeyOpenssh")).toMatch(pemStart("OPENSSH PRIVATE KEY"));
    expect(value<string>("bareKeyPem")).toMatch(pemStart("EC PRIVATE KEY"));
    for (const name of [
      "ecdsaCaKeyPem",
      "server",
      "client",
      "rsaServer",
      "sshPrivateKeyOpenssh",
      "bareKeyPem",
    ]) {
      expect({ name, secret: outputs[name].secret }).toEqual({ name, secret: true });
    }
    expect(outputs.ecdsaCaCertPem.secret).toBe(false);
  });

  it("gives an ED25519 key OpenSSH encodings that ssh-keygen reads, with matching fingerprints", () => {
    const keyFile = pemFile("id_ed25519", value("sshPrivateKeyOpenssh"));
    const derivedPublic = execFileSync("ssh-keygen", ["-y", "-f", keyFile], { encoding: "utf8" });
    expect(derivedPublic.trim()).toBe(value<string>("sshPublicKeyOpenssh").trim());
    expect(execFileSync("ssh-keygen", ["-l", "-f", keyFile], { encoding: "utf8" })).toContain(
      ` ${value<string>("sshFingerprintSha256")} `,
    );
    expect(execFileSync("ssh-keygen", ["-l", "-E", "md5", "-f", keyFile], { encoding: "utf8" })).toContain(
      ` MD5:${value<string>("sshFingerprintMd5")} `,
    );
  });

  it("lets a server and a client certificate complete a mutual-TLS handshake on 127.0.0.1", async () => {
    const result = await mutualTlsHandshake(value("server"), value("client"), value("ecdsaCaCertPem"));
    expect(result).toEqual({ received: "greeting from the server\n", peerCommonName: "agent-0" });
  });

  it("refuses a client without a certificate", async () => {
    const result = await mutualTlsHandshake(value("server"), undefined, value("ecdsaCaCertPem"));
    expect(result.received).toBe("");
    expect(result.serverError).toMatch(/peer did not return a certificate/);
    expect(result.peerCommonName).toBeUndefined();
  });

  it("keeps private keys encrypted in the file backend's own state files", () => {
    const files = backendFiles(backendDir);
    const stateFile = path.join(backendDir, ".pulumi", "stacks", projectName, `${stackName}.json`);
    expect(files).toContain(stateFile);
    const state = fs.readFileSync(stateFile, "utf8");
    // The check is not vacuous: the state holds the certificates in clear text.
    expect(state).toContain("-----BEGIN CERTIFICATE-----");
    for (const file of files) {
      expect({
        file,
        privateKeyInClear: /BEGIN [A-Z ]*PRIVATE KEY/.test(fs.readFileSync(file, "utf8")),
      }).toEqual({
        file,
        privateKeyInClear: false,
      });
    }
    const resources = JSON.parse(state).checkpoint.latest.resources as {
      type: string;
      outputs?: Record<string, unknown>;
    }[];
    const keys = resources.filter((resource) => resource.type === "tls:index/privateKey:PrivateKey");
    expect(keys).toHaveLength(7);
    for (const key of keys) {
      for (const field of ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"]) {
        expect(key.outputs?.[field]).toEqual({
          "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
          ciphertext: expect.any(String),
        });
      }
    }
  });

  it("changes nothing on a second up with the same inputs, nor after a refresh", async () => {
    const second = await (await open(baseConfig)).up();
    expect(changeCounts(second)).toEqual({ same: resourceCount });
    expect(second.outputs.server.value).toEqual(value("server"));
    const storedResources = async () =>
      (await stack.exportStack()).deployment.resources.map(
        ({ urn, inputs, outputs }: Record<string, unknown>) => ({ urn, inputs, outputs }),
      );
    const beforeRefresh = await storedResources();
    const refresh = await stack.refresh();
    expect(refresh.summary.resourceChanges).toEqual({ same: resourceCount });
    expect(await storedResources()).toEqual(beforeRefresh);
    const afterRefresh = await (await open(baseConfig)).up();
    expect(changeCounts(afterRefresh)).toEqual({ same: resourceCount });
  });

  it("updates earlyRenewalHours in place, keeping the certificate", async () => {
    const result = await (await open({ ...baseConfig, serverEarlyRenewalHours: "3" })).up();
    expect(changeCounts(result)).toEqual({ same: resourceCount - 1, update: 1 });
    expect(result.outputs.server.value).toEqual(value("server"));
  });

  it("replaces only the certificate whose validityPeriodHours changed", async () => {
    const result = await (await open({ serverValidityHours: "36", serverEarlyRenewalHours: "3" })).up();
    expect(changeCounts(result)).toEqual({ same: resourceCount - 1, replace: 1 });
    const before = value<IssuedOutputs>("server");
    const after = result.outputs.server.value as IssuedOutputs;
    expect(after.id).not.toBe(before.id);
    expect(after.keyPem).toBe(before.keyPem);
    expect(Date.parse(after.validityEndTime) - Date.parse(after.validityStartTime)).toBe(36 * 3600 * 1000);
    expect(result.outputs.client.value).toEqual(value("client"));
    const caFile = pemFile("ecdsa-ca-2.pem", value("ecdsaCaCertPem"));
    const serverFile = pemFile("server-2.pem", after.certPem);
    expect(openssl(["verify", "-CAfile", caFile, serverFile]).output).toBe(`${serverFile}: OK\n`);
  });

  it("replaces a certificate once it is inside its early renewal window (readyForRenewal)", async () => {
    const config = { serverValidityHours: "36", serverEarlyRenewalHours: "36" };
    const preview = await (await open(config)).preview();
    expect(preview.changeSummary).toEqual({ same: resourceCount - 1, replace: 1 });
    const result = await (await open(config)).up();
    expect(changeCounts(result)).toEqual({ same: resourceCount - 1, replace: 1 });
    expect((result.outputs.server.value as IssuedOutputs).id).not.toBe(value<IssuedOutputs>("server").id);
  });

  it("fails preview on an input the stand-in does not implement, naming it", async () => {
    const withUnsupported = await open({
      serverValidityHours: "36",
      serverEarlyRenewalHours: "3",
      unsupportedField: "true",
    });
    await expect(withUnsupported.preview()).rejects.toThrow(
      /maxPathLength.*not supported by the tls stand-in/,
    );
  });
});
