/**
 * What an agent run by hand on the host needs, outside Docker: a client certificate of the lab's CA
 * and a ready vector.yaml with the CA, the certificate and the key inline, dialling the published
 * ports. The YAML holds the key, so it is a secret like the key itself.
 */
import * as pulumi from "@pulumi/pulumi";
import { agentEventIntervalSecs } from "./agentFleet";
import type { Pki } from "./pki";
import { hostAgentVectorConfig, renderVectorYaml } from "./vectorConfig";

export interface HostAgentArgs {
  /** The lab's CA, which issues the host agent's certificate. */
  pki: Pki;
  /** The host agent's name: its certificate's common name and the name in its demo events. */
  agentName: string;
  /** What a process on the host dials (hostAddress.ts). */
  balancerHost: string;
  /** Published balancer port for Vector's protocol. */
  vectorPort: number;
  /** Published balancer port for Prometheus remote write. */
  remoteWritePort: number;
}

export interface HostAgentBundle {
  /** Secret. */
  certPem: pulumi.Output<string>;
  /** Secret. */
  keyPem: pulumi.Output<string>;
  /** Secret: holds the key. */
  vectorYaml: pulumi.Output<string>;
}

export function hostAgentBundle(args: HostAgentArgs): HostAgentBundle {
  const identity = args.pki.issueClientCertificate({ name: "host-agent", commonName: args.agentName });
  const vectorYaml = pulumi
    .all([args.pki.caCertPem, identity.certPem, identity.privateKeyPem])
    .apply(([caFile, crtFile, keyFile]) =>
      renderVectorYaml(
        hostAgentVectorConfig({
          agentName: args.agentName,
          balancerHost: args.balancerHost,
          vectorPort: args.vectorPort,
          remoteWritePort: args.remoteWritePort,
          tls: { caFile, crtFile, keyFile },
          eventIntervalSecs: agentEventIntervalSecs,
        }),
      ),
    );
  return {
    certPem: pulumi.secret(identity.certPem),
    keyPem: identity.privateKeyPem,
    vectorYaml: pulumi.secret(vectorYaml),
  };
}
