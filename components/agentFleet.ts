/**
 * The agents: `count` Vector containers that ship demo logs (Vector's protocol) and host metrics
 * (Prometheus remote write) to the balancer over mutual TLS, with disk buffers and acknowledgements so
 * nothing is lost while an aggregator is down. Nothing here depends on the aggregator count.
 */
import * as pulumi from "@pulumi/pulumi";
import type { LabNaming } from "./naming";
import type { Pki } from "./pki";
import { agentVectorConfig, containerTlsFiles, renderVectorYaml } from "./vectorConfig";
import { declareVectorContainer } from "./vectorContainer";

export interface AgentFleetArgs {
  count: number;
  naming: LabNaming;
  networkName: pulumi.Input<string>;
  image: pulumi.Input<string>;
  pki: Pki;
  vectorPort: number;
  remoteWritePort: number;
  /** Agents start after the balancer, so their first connection attempts find it. */
  balancer: pulumi.Resource;
}

/** One demo event per agent per second: steady, recognisable, light on 2 cores. */
export const agentEventIntervalSecs = 1;

export class AgentFleet extends pulumi.ComponentResource {
  readonly containerNames: string[];

  constructor(name: string, args: AgentFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vector-ha-lab:index:AgentFleet", name, {}, opts);
    this.containerNames = [];
    for (let index = 0; index < args.count; index++) {
      const containerName = args.naming.agentName(index);
      const identity = args.pki.issueClientCertificate({
        name: `agent-${index}`,
        commonName: containerName,
        dnsNames: [containerName],
        parent: this,
      });
      const vectorYaml = renderVectorYaml(
        agentVectorConfig({
          agentName: containerName,
          balancerHost: args.naming.balancerHostname,
          vectorPort: args.vectorPort,
          remoteWritePort: args.remoteWritePort,
          tls: containerTlsFiles,
          buffer: "disk",
          eventIntervalSecs: agentEventIntervalSecs,
        }),
      );
      declareVectorContainer({
        name: `agent-${index}`,
        containerName,
        role: "agent",
        naming: args.naming,
        image: args.image,
        networkName: args.networkName,
        vectorYaml,
        identity,
        caCertPem: args.pki.caCertPem,
        parent: this,
        dependsOn: [args.balancer],
      });
      this.containerNames.push(containerName);
    }
    this.registerOutputs({ containerNames: this.containerNames });
  }
}
