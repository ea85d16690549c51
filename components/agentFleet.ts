/**
 * The agents: `count` Vector containers that ship logs (Vector's protocol) and host metrics
 * (Prometheus remote write) to the balancer over mutual TLS. Beside each runs its demo app, writing the
 * log file the agent tails; the agent reads it with end-to-end acknowledgements through a disk buffer,
 * so no line is lost while aggregators are down or the agent restarts. Nothing here depends on the
 * aggregator count.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { demoAppPaths } from "./constants";
import { demoAppScript } from "./demoApp";
import { dockerLabels } from "./dockerLabels";
import type { LabNaming } from "./naming";
import type { Pki } from "./pki";
import { agentVectorConfig, containerTlsFiles, renderVectorYaml } from "./vectorConfig";
import { declareVectorContainer } from "./vectorContainer";

export interface AgentFleetArgs {
  /** How many agents (each with its demo app): `agent-0` to `agent-(count-1)`. */
  count: number;
  /** The stack's names and labels. */
  naming: LabNaming;
  /** The lab's network, where agents reach the balancer by its alias. */
  networkName: pulumi.Input<string>;
  /** The Vector image; the demo apps run its bash. */
  image: pulumi.Input<string>;
  /** The lab's CA, which issues each agent's client certificate. */
  pki: Pki;
  /** Balancer port for Vector's protocol. */
  vectorPort: number;
  /** Balancer port for Prometheus remote write. */
  remoteWritePort: number;
  /** Agents start after the balancer, so their first connection attempts find it. */
  balancer: pulumi.Resource;
  /** Pulumi names of containers to keep as they run (a roll in progress: vectorContainer.ts `hold`). */
  held: ReadonlySet<string>;
}

/** One demo event per agent per second: steady, recognisable, light on 2 cores. */
export const agentEventIntervalSecs = 1;

export class AgentFleet extends pulumi.ComponentResource {
  /** Docker names of the agent containers, index order. */
  readonly containerNames: string[];
  /** Docker names of their demo apps, same order. */
  readonly demoAppNames: string[];

  constructor(name: string, args: AgentFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vector-ha-lab:index:AgentFleet", name, {}, opts);
    this.containerNames = [];
    this.demoAppNames = [];
    const vectorYaml = renderVectorYaml(
      agentVectorConfig({
        balancerHost: args.naming.balancerHostname,
        vectorPort: args.vectorPort,
        remoteWritePort: args.remoteWritePort,
        tls: containerTlsFiles,
      }),
    );
    const demoAppLabels = dockerLabels(args.naming.labels("demo-app"));
    for (let index = 0; index < args.count; index++) {
      const containerName = args.naming.agentName(index);
      const appName = args.naming.demoAppName(index);
      const logVolume = new docker.Volume(
        `demo-app-${index}-logs`,
        { name: args.naming.logVolumeName(appName), labels: demoAppLabels },
        { parent: this },
      );
      new docker.Container(
        `demo-app-${index}`,
        {
          name: appName,
          hostname: appName,
          image: args.image,
          entrypoints: [
            "bash",
            "-c",
            demoAppScript({ agentName: containerName, intervalSecs: agentEventIntervalSecs }),
          ],
          labels: demoAppLabels,
          restart: "unless-stopped",
          // No network: it only writes a file.
          networkMode: "none",
          volumes: [{ volumeName: logVolume.name, containerPath: demoAppPaths.logDir }],
        },
        // Its name is fixed: the old one must go before the new one can take it.
        { parent: this, deleteBeforeReplace: true },
      );
      const identity = args.pki.issueClientCertificate({
        name: `agent-${index}`,
        commonName: containerName,
        dnsNames: [containerName],
        parent: this,
      });
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
        extraVolumes: [{ volumeName: logVolume.name, containerPath: demoAppPaths.logDir, readOnly: true }],
        hold: args.held.has(`agent-${index}`),
        parent: this,
        dependsOn: [args.balancer],
      });
      this.containerNames.push(containerName);
      this.demoAppNames.push(appName);
    }
    this.registerOutputs({ containerNames: this.containerNames, demoAppNames: this.demoAppNames });
  }
}
