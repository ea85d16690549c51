/**
 * The lab's security promises as checks against a running lab: who the mTLS ports let in, where a
 * private key may be found in clear, and what the containers are allowed. The security drills
 * (drills/security.ts) and the end-to-end test both run them; each returns what it found, and the
 * caller decides.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { vectorPaths } from "../components/constants";
import { docker } from "./dockerCli";
import { makeCa, makeLeaf } from "./throwawayCerts";
import { plaintextAttempt, tlsAttempt } from "./tlsProbe";

export interface ClientIdentity {
  cert: string;
  key: string;
}

export interface RefusalMatrixArgs {
  /** Where the balancer's ports are published on this host (127.0.0.1 for the default bind address). */
  host: string;
  vectorPort: number;
  remoteWritePort: number;
  /** The lab's trust bundle. */
  caCertPem: string;
  /** A client certificate the lab issued (the host agent's): the control that must be accepted. */
  client: ClientIdentity;
  /** The signing CA's key, to make a fresh and an expired client certificate from the lab's own CA. */
  signingCaKeyPem: string;
  /** An aggregator's own certificate and key: the lab's CA, but serverAuth only. */
  serverOnly: ClientIdentity;
  /** A folder of the caller's for the throwaway certificates (the CA key stays there < 1 s). */
  scratchDir: string;
}

/** Per port, what each kind of client got: `"<port>: <client>" → accepted | refused`. */
export async function refusalMatrix(
  args: RefusalMatrixArgs,
): Promise<Record<string, "accepted" | "refused">> {
  const dir = args.scratchDir;
  const read = (name: string): string => fs.readFileSync(path.join(dir, name), "utf8");
  fs.writeFileSync(path.join(dir, "lab-ca.pem"), args.caCertPem);
  fs.writeFileSync(path.join(dir, "lab-ca.key"), args.signingCaKeyPem, { mode: 0o600 });
  try {
    makeLeaf(dir, "lab-ca", "fresh-client", "extendedKeyUsage=clientAuth\n");
    makeLeaf(dir, "lab-ca", "expired-client", "extendedKeyUsage=clientAuth\n", 0);
  } finally {
    fs.rmSync(path.join(dir, "lab-ca.key"));
  }
  makeCa(dir, "foreign-ca");
  makeLeaf(dir, "foreign-ca", "intruder", "extendedKeyUsage=clientAuth\n");
  const identity = (name: string): ClientIdentity => ({
    cert: read(`${name}.crt`),
    key: read(`${name}.key`),
  });
  await new Promise((resolve) => setTimeout(resolve, 1500)); // past the expired one's notAfter

  const ca = args.caCertPem;
  const clients: Array<[string, ClientIdentity | undefined]> = [
    // The controls: the lab's client certificates are accepted, so each refusal is the certificate's doing.
    ["host agent's", args.client],
    ["fresh from the lab CA", identity("fresh-client")],
    ["none", undefined],
    ["another CA's", identity("intruder")],
    ["expired", identity("expired-client")],
    ["server-only", args.serverOnly],
  ];
  const ports = [
    { name: "vector", port: args.vectorPort, protocol: "h2" as const },
    { name: "remote write", port: args.remoteWritePort, protocol: "http/1.1" as const },
  ];
  const outcomes: Record<string, "accepted" | "refused"> = {};
  for (const { name, port, protocol } of ports) {
    for (const [client, id] of clients) {
      outcomes[`${name}: ${client}`] = await tlsAttempt(port, protocol, { host: args.host, ca, ...id });
    }
    outcomes[`${name}: plaintext`] = await plaintextAttempt(port, protocol, args.host);
  }
  return outcomes;
}

/** Which outcomes the lab promises: only its own client certificates get in. */
export function expectedRefusals(outcomes: Record<string, string>): Record<string, "accepted" | "refused"> {
  return Object.fromEntries(
    Object.keys(outcomes).map((k) => [k, /host agent's|fresh/.test(k) ? "accepted" : "refused"]),
  );
}

/** Every file under `dir` of at most 64 MB (binaries such as the bundle's CLI are larger and hold no key). */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((entry) => {
    const full = path.join(entry.parentPath, entry.name);
    return entry.isFile() && fs.statSync(full).size <= 64 * 1024 * 1024 ? [full] : [];
  });
}

/**
 * Where any of the keys is found in clear: in one of `files`, or in a container's log. `needles` are
 * lines of the keys' bodies (stateSecrets.ts `keyFingerprintLine`), found however a copy is wrapped.
 */
export function keyLeaks(needles: string[], files: string[], containers: string[]): string[] {
  const leaks: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file).toString("latin1");
    } catch (error) {
      // Gone since it was listed: another lab command's lock or temporary file, holding nothing now.
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    if (needles.some((needle) => text.includes(needle))) leaks.push(file);
  }
  for (const name of containers) {
    // Both streams: Vector logs on stderr.
    const run = spawnSync("docker", ["logs", name], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    const logs = `${run.stdout}\n${run.stderr}`;
    if (needles.some((needle) => logs.includes(needle))) leaks.push(`docker logs ${name}`);
  }
  return leaks;
}

export interface PrivilegeCheckArgs {
  /** Every container of the lab. */
  containers: string[];
  /** The one that publishes ports (HAProxy), and the address it must publish them on only. */
  balancer: string;
  bindAddress: string;
  /** The Vector containers, whose key file must be readable by the user Vector runs as only. */
  vectorContainers: string[];
}

/** What a container is allowed beyond its need: each a line naming the container. Empty when none. */
export function privilegeProblems(args: PrivilegeCheckArgs): string[] {
  const problems: string[] = [];
  for (const name of args.containers) {
    const [live] = JSON.parse(docker("inspect", name)) as Array<{
      HostConfig: {
        Privileged: boolean;
        CapAdd: string[] | null;
        PortBindings: Record<string, Array<{ HostIp: string }>> | null;
      };
      Mounts: Array<{ Source: string; Destination: string }>;
    }>;
    if (live.HostConfig.Privileged) problems.push(`${name} runs privileged`);
    if ((live.HostConfig.CapAdd ?? []).length > 0)
      problems.push(`${name} adds capabilities ${live.HostConfig.CapAdd!.join(", ")}`);
    if (live.Mounts.some((m) => /docker\.sock/.test(`${m.Source} ${m.Destination}`)))
      problems.push(`${name} mounts the Docker socket`);
    const bindings = Object.values(live.HostConfig.PortBindings ?? {}).flat();
    for (const binding of bindings) {
      if (binding.HostIp !== args.bindAddress)
        problems.push(`${name} publishes a port on ${binding.HostIp || "every address"}`);
    }
    if (name === args.balancer && bindings.length !== 3)
      problems.push(`${name} publishes ${bindings.length} ports, not 3`);
    if (name !== args.balancer && bindings.length > 0) problems.push(`${name} publishes ports`);
  }
  // HAProxy runs as the image's own unprivileged user.
  const haproxyUser = docker("exec", args.balancer, "id", "-un");
  if (haproxyUser !== "haproxy") problems.push(`${args.balancer} runs as ${haproxyUser}, not haproxy`);
  // Vector runs as root in the official image: each private key is readable by that user only.
  for (const name of args.vectorContainers) {
    const keyMode = docker("exec", name, "stat", "-c", "%a %U", vectorPaths.nodeKey);
    const vectorUser = docker("exec", name, "stat", "-c", "%U", "/proc/1");
    if (keyMode !== `400 ${vectorUser}`)
      problems.push(`${name}'s key file is ${keyMode}, not 400 ${vectorUser} (the user Vector runs as)`);
  }
  return problems;
}
