/**
 * The whole lab, as docs/design.md draws it: one network, a CA, HAProxy, the aggregators behind it and
 * the agents in front of it. `index.ts` and the Automation API runner both call `buildLab`, so the same
 * program runs under `pulumi up` and inline; it can be called again for every `up` in one process.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AgentFleet } from "./agentFleet";
import { AggregatorPool } from "./aggregatorPool";
import type { LabConfig } from "./settings";
import { dockerLabels } from "./dockerLabels";
import { certificateIpAddresses, hostDialAddress } from "./hostAddress";
import { haproxySpecOf } from "./haproxyConfig";
import { hostAgentBundle } from "./hostAgent";
import { LabImages } from "./images";
import { LoadBalancer } from "./loadBalancer";
import { labNaming, type LabNaming } from "./naming";
import { labPki } from "./pki";
import { buildSwarmLab, type SwarmLabOutputs } from "./swarmLab";

/** The stack's outputs: what `pulumi stack output` shows and the lab command prints. */
export interface LabOutputs {
  target: "docker";
  /** The lab's Docker network. */
  networkName: pulumi.Output<string>;
  /** Where agents send: inside the network (the balancer's alias) and from the host (published ports). */
  balancerEndpoints: {
    inNetwork: { vector: string; remoteWrite: string };
    onHost: { vector: string; remoteWrite: string };
  };
  /** HAProxy's stats page, from the host. */
  statsUrl: string;
  /** HAProxy's Prometheus metrics, from the host. */
  metricsUrl: string;
  /** Docker names of the containers, by role. */
  balancerContainerName: string;
  aggregatorContainerNames: string[];
  agentContainerNames: string[];
  demoAppContainerNames: string[];
  /** The lab's CA certificate (public): what a client outside the lab trusts. */
  caCertPem: pulumi.Output<string>;
  /** For an agent run on the host, outside Docker (components/hostAgent.ts): all secrets. */
  hostAgentCertPem: pulumi.Output<string>;
  hostAgentKeyPem: pulumi.Output<string>;
  hostAgentVectorYaml: pulumi.Output<string>;
}

export interface BuildOptions {
  /**
   * Pulumi names of Vector containers to keep as they run although their inputs changed: the lab
   * command's rolling `up` (scripts/rollingUp.ts) holds them, then replaces them one at a time.
   */
  heldContainers?: ReadonlySet<string>;
}

/** The lab on the configured target: containers on one engine, or services on a Swarm (swarmLab.ts). */
export function buildLab(config: LabConfig, options: BuildOptions = {}): LabOutputs | SwarmLabOutputs {
  const naming = labNaming(pulumi.getProject(), pulumi.getStack());
  return config.target === "swarm" ? buildSwarmLab(config, naming) : buildDockerLab(config, naming, options);
}

function buildDockerLab(config: LabConfig, naming: LabNaming, options: BuildOptions): LabOutputs {
  const held = options.heldContainers ?? new Set<string>();

  const network = new docker.Network("network", {
    name: naming.networkName,
    labels: dockerLabels(naming.labels("network")),
  });
  const pki = labPki(config, naming.prefix);
  const images = new LabImages("images", config);

  const aggregators = new AggregatorPool("aggregators", {
    count: config.aggregatorCount,
    naming,
    networkName: network.name,
    image: images.vectorImageId,
    pki,
    balancerDnsNames: [naming.balancerHostname, naming.balancerContainerName, "localhost"],
    balancerIpAddresses: certificateIpAddresses(config.hostBindAddress),
    maxConnectionAgeSecs: config.maxConnectionAgeSecs,
    held,
  });

  const balancer = new LoadBalancer("balancer", {
    naming,
    networkName: network.name,
    image: images.haproxyImageId,
    hostBindAddress: config.hostBindAddress,
    haproxy: haproxySpecOf(config, naming.aggregatorPoolHostname),
    startAfter: [aggregators],
  });

  const agents = new AgentFleet("agents", {
    count: config.agentCount,
    naming,
    networkName: network.name,
    image: images.vectorImageId,
    pki,
    vectorPort: config.vectorPort,
    remoteWritePort: config.remoteWritePort,
    balancer: balancer.container,
    held,
  });

  const hostDial = hostDialAddress(config.hostBindAddress);
  const hostAgent = hostAgentBundle({
    pki,
    agentName: `${naming.prefix}-host-agent`,
    balancerHost: hostDial,
    vectorPort: config.vectorPort,
    remoteWritePort: config.remoteWritePort,
  });

  return {
    target: "docker",
    networkName: network.name,
    balancerEndpoints: {
      inNetwork: {
        vector: `${naming.balancerHostname}:${config.vectorPort}`,
        remoteWrite: `https://${naming.balancerHostname}:${config.remoteWritePort}/`,
      },
      onHost: {
        vector: `${hostDial}:${config.vectorPort}`,
        remoteWrite: `https://${hostDial}:${config.remoteWritePort}/`,
      },
    },
    statsUrl: `http://${hostDial}:${config.statsPort}/stats`,
    metricsUrl: `http://${hostDial}:${config.statsPort}/metrics`,
    balancerContainerName: balancer.containerName,
    aggregatorContainerNames: aggregators.containerNames,
    agentContainerNames: agents.containerNames,
    demoAppContainerNames: agents.demoAppNames,
    caCertPem: pki.caCertPem,
    hostAgentCertPem: hostAgent.certPem,
    hostAgentKeyPem: hostAgent.keyPem,
    hostAgentVectorYaml: hostAgent.vectorYaml,
  };
}
