/**
 * Reads secrets back out of a lab stack's state, through the Pulumi CLI the stack runs on
 * (`pulumi stack export --show-secrets`). For the security drills and tests, which must sign with the
 * lab's own CA (an expired client certificate, say) or look for the lab's keys where they must not be;
 * a key goes to the caller's scratch folder at most, and is never printed.
 */
import { execFileSync } from "child_process";
import type { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { generationName } from "../components/pki";

interface StateResource {
  type: string;
  urn: string;
  outputs?: Record<string, unknown>;
}

/** Every private key (PEM) the stack's `tls:index/privateKey:PrivateKey` resources hold, by resource name. */
export function labPrivateKeys(stack: Stack): Map<string, string> {
  const workspace = stack.workspace as LocalWorkspace;
  const exported = execFileSync(
    workspace.pulumiCommand.command,
    ["stack", "export", "--show-secrets", "--stack", stack.name],
    {
      cwd: workspace.workDir,
      env: { ...process.env, ...workspace.envVars },
      encoding: "utf8",
      stdio: "pipe",
    },
  );
  const keys = new Map<string, string>();
  for (const resource of (JSON.parse(exported).deployment.resources ?? []) as StateResource[]) {
    if (resource.type !== "tls:index/privateKey:PrivateKey") continue;
    // A secret shows as {<secret sig>, plaintext: <the value as JSON>}.
    const shown = resource.outputs?.privateKeyPem as string | { plaintext?: string } | undefined;
    const pem =
      typeof shown === "object" && shown.plaintext !== undefined ? JSON.parse(shown.plaintext) : shown;
    if (typeof pem === "string" && pem.includes("PRIVATE KEY"))
      keys.set(resource.urn.split("::").pop()!, pem);
  }
  if (keys.size === 0) throw new Error(`no readable private key in the state of stack ${stack.name}`);
  return keys;
}

/** The private key (PEM) of the lab CA of this generation (the one that signs: `caGeneration`). */
export function labCaPrivateKey(stack: Stack, generation = 1): string {
  const name = `${generationName("pki-ca", generation)}-key`;
  const pem = labPrivateKeys(stack).get(name);
  if (pem === undefined) throw new Error(`no ${name} in the state of stack ${stack.name}`);
  return pem;
}

/** A line of the key's body: what any copy of the key contains, however it is wrapped or quoted. */
export function keyFingerprintLine(pem: string): string {
  const line = pem.split("\n").find((l) => /^[A-Za-z0-9+/]{40,}$/.test(l.trim()));
  if (line === undefined) throw new Error("not a PEM private key");
  return line.trim();
}
