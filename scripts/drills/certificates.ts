/**
 * Certificate drills under the demo apps' load: a CA rotation (`rotate-ca`) and an early renewal, each
 * rolled through the containers one at a time. Nothing may be lost, and afterwards every container
 * must hold what the drill claims: read back from inside the containers, not from the state.
 */
import * as crypto from "crypto";
import { settingDefaults } from "../../components/settings";
import { vectorPaths } from "../../components/constants";
import { generationName } from "../../components/pki";
import { docker } from "../dockerCli";
import { tlsAttempt } from "../tlsProbe";
import { dialAddressOf, publishedPort, type Drill, type DrillLab, type DrillResult } from "./drill";
import { allAggregatorsUp, underLoad } from "./underLoad";

/** What a Vector container trusts and presents, read from its files. The key only as a hash. */
interface ContainerIdentity {
  /** Every CA certificate in its trust bundle. */
  trusted: crypto.X509Certificate[];
  cert: crypto.X509Certificate;
  keyHash: string;
}

function splitPem(bundle: string): crypto.X509Certificate[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (pem) => new crypto.X509Certificate(pem),
  );
}

function identities(lab: DrillLab): Map<string, ContainerIdentity> {
  return new Map(
    [...lab.aggregators, ...lab.agents].map((name) => [
      name,
      {
        trusted: splitPem(docker("exec", name, "cat", vectorPaths.caCert)),
        cert: new crypto.X509Certificate(docker("exec", name, "cat", vectorPaths.nodeCert)),
        keyHash: crypto
          .createHash("sha256")
          .update(docker("exec", name, "cat", vectorPaths.nodeKey))
          .digest("hex"),
      },
    ]),
  );
}

/**
 * Whether the containers were replaced one at a time, in roll order: each started at least `gapMs`
 * after the one before (a replacement that waited for the last to be ready; replaced together, they
 * start within a second of each other). One problem line per pair that did not.
 */
function oneAtATimeProblems(containers: string[], gapMs = 2000): string[] {
  const started = containers.map((name) => Date.parse(docker("inspect", "-f", "{{.State.StartedAt}}", name)));
  const problems: string[] = [];
  for (let i = 1; i < containers.length; i++) {
    if (started[i] - started[i - 1] < gapMs) {
      problems.push(
        `${containers[i]} started ${started[i] - started[i - 1]} ms after ${containers[i - 1]}: not rolled one at a time`,
      );
    }
  }
  return problems;
}

const caRotation: Drill = {
  name: "ca-rotation",
  summary:
    "rotate-ca under load: a new CA, keys and certificates rolled container by container, nothing lost",
  async run(lab, progress): Promise<DrillResult> {
    const before = identities(lab);
    const oldOutputs = await lab.outputs();
    let phases: Awaited<ReturnType<DrillLab["rotateCa"]>> = [];
    const result = await underLoad(
      lab,
      {
        describe: "npm run lab -- rotate-ca (trust the new CA, sign with it, retire the old one)",
        inject: async () => {
          phases = await lab.rotateCa();
        },
        recovered: allAggregatorsUp(lab),
      },
      progress,
    );
    for (const { phase, seconds, rolled } of phases) {
      result.numbers[`${phase.name}PhaseMs`] = Math.round(seconds * 1000);
      result.saw.push(
        `phase ${phase.name}: ${seconds.toFixed(1)} s, ${rolled} containers rolled one at a time`,
      );
    }
    if (phases.length === 0) return result;

    const after = identities(lab);
    const oldCas = new Set([...before.values()].flatMap((id) => id.trusted.map((ca) => ca.fingerprint256)));
    const newCas = new Set([...after.values()].flatMap((id) => id.trusted.map((ca) => ca.fingerprint256)));
    for (const [name, id] of after) {
      const old = before.get(name)!;
      if (id.trusted.length !== 1) result.problems.push(`${name} trusts ${id.trusted.length} CAs, not 1`);
      if (id.trusted.some((ca) => oldCas.has(ca.fingerprint256)))
        result.problems.push(`${name} still trusts an old CA`);
      if (!id.trusted.some((ca) => id.cert.verify(ca.publicKey)))
        result.problems.push(`${name}'s certificate is not signed by the CA it trusts`);
      if (id.keyHash === old.keyHash) result.problems.push(`${name} kept its old private key`);
    }
    if (newCas.size !== 1) result.problems.push(`the containers trust ${newCas.size} different CAs, not one`);
    result.problems.push(...oneAtATimeProblems([...lab.aggregators, ...lab.agents]));
    const caKeys = [...(await lab.privateKeys()).keys()].filter((name) => /^pki-ca(-g\d+)?-key$/.test(name));
    const generation = phases[phases.length - 1].phase.settings.generation;
    result.saw.push(`CA keys in the state: ${caKeys.join(", ")}`);
    if (caKeys.join() !== `${generationName("pki-ca", generation)}-key`)
      result.problems.push(`the state should hold the key of CA ${generation} only`);
    result.saw.push(
      `every container (${after.size}) trusts only the new CA (${[...newCas][0]?.slice(0, 23)}…), ` +
        "presents a certificate it signed, and has a new key; the last phase replaced them one at a time",
    );

    // Through the balancer: the old host agent's certificate is refused now, the new one accepted.
    const outputs = await lab.outputs();
    const host = dialAddressOf(lab);
    const port = publishedPort(outputs.balancerEndpoints.onHost.vector);
    const ca = outputs.caCertPem;
    const oldClient = await tlsAttempt(port, "h2", {
      host,
      ca,
      cert: oldOutputs.hostAgentCertPem,
      key: oldOutputs.hostAgentKeyPem,
    });
    const newClient = await tlsAttempt(port, "h2", {
      host,
      ca,
      cert: outputs.hostAgentCertPem,
      key: outputs.hostAgentKeyPem,
    });
    result.saw.push(
      `through HAProxy: the old CA's client certificate ${oldClient}, the new one ${newClient}`,
    );
    if (oldClient !== "refused") result.problems.push("a certificate of the retired CA is still accepted");
    if (newClient !== "accepted") result.problems.push("the new host agent certificate is refused");
    return result;
  },
};

const earlyRenewal: Drill = {
  name: "early-renewal",
  summary:
    "certificates inside their early renewal window: up renews them and rolls them through, nothing lost",
  async run(lab, progress): Promise<DrillResult> {
    const settings = lab.settings();
    const validity = settings.certValidityHours ?? String(settingDefaults.certValidityHours);
    const previous = settings.certEarlyRenewalHours;
    const before = identities(lab);
    let changes: Record<string, number> = {};
    const result = await underLoad(
      lab,
      {
        // The window reaches back to the certificates' start: they are in it now, as they would be
        // `certEarlyRenewalHours` before they expire. The provider's own check does the rest.
        describe:
          `certEarlyRenewalHours ${previous ?? `${settingDefaults.certEarlyRenewalHours} (default)`} → ` +
          `${validity} (the validity: every certificate is inside its renewal window), then up`,
        inject: async () => {
          changes = await lab.configure({ certEarlyRenewalHours: validity });
        },
        recovered: allAggregatorsUp(lab),
      },
      progress,
    );
    result.saw.push(`up changed: ${JSON.stringify(changes)}`);
    const after = identities(lab);
    for (const [name, id] of after) {
      const old = before.get(name)!;
      if (id.cert.serialNumber === old.cert.serialNumber)
        result.problems.push(`${name}'s certificate was not renewed`);
      if (!(Date.parse(id.cert.validFrom) >= Date.parse(old.cert.validFrom)))
        result.problems.push(`${name}'s certificate is not newer`);
      if (!id.trusted.some((ca) => id.cert.verify(ca.publicKey)))
        result.problems.push(`${name}'s renewed certificate is not signed by the CA it trusts`);
    }
    result.saw.push(`every container (${after.size}) presents a renewed certificate from the lab's CA`);
    const rollProblems = oneAtATimeProblems([...lab.aggregators, ...lab.agents]);
    result.saw.push(
      `replaced one at a time, aggregators then agents: ${rollProblems.length === 0 ? "yes" : "no"}`,
    );
    result.problems.push(...rollProblems);

    progress("putting certEarlyRenewalHours back");
    const restored = await lab.configure({ certEarlyRenewalHours: previous });
    const renewedAgain = identities(lab);
    const unchanged = [...renewedAgain].every(
      ([name, id]) => id.cert.serialNumber === after.get(name)!.cert.serialNumber,
    );
    result.did.push(`certEarlyRenewalHours back to ${previous ?? "its default"}, then up`);
    result.saw.push(`that up changed: ${JSON.stringify(restored)}; certificates unchanged: ${unchanged}`);
    if ((restored.replace ?? 0) > 0 || !unchanged)
      result.problems.push("outside the renewal window, up still replaced certificates or containers");
    return result;
  },
};

export const certificateDrills: Drill[] = [caRotation, earlyRenewal];
