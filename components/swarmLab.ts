/**
 * The lab on a Docker Swarm (target `swarm`, docs/swarm.md): the same renderers and PKI as the docker
 * target, as three services on one overlay network. Aggregators: one replicated service spread over the
 * nodes. HAProxy: `balancers` replicas, each on a node of its own, ports published in host mode there,
 * finding the aggregators through Docker's DNS as on one host. Agents: a replicated service listing
 * every balancer by its task host name, so losing a balancer's node loses no events.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { haproxyConfigPath, vectorPaths } from "./constants";
import { dockerLabels } from "./dockerLabels";
import { haproxySpecOf, renderHaproxyConfig } from "./haproxyConfig";
import { aggregatorHealthcheck } from "./aggregatorPool";
import { agentEventIntervalSecs } from "./agentFleet";
import { demoAppScript } from "./demoApp";
import type { LabNaming } from "./naming";
import { labPki } from "./pki";
import type { LabConfig } from "./settings";
import { SwarmFiles, type SwarmFile } from "./swarmFiles";
import { declareSwarmService, slotHostname } from "./swarmService";
import {
  aggregatorVectorConfig,
  containerTlsFiles,
  renderVectorYaml,
  agentVectorConfig,
  vectorOpensslConfig,
} from "./vectorConfig";

/** The stack's outputs on the swarm target. */
export interface SwarmLabOutputs {
  target: "swarm";
  /** The manager the lab was made through ("" for the local engine). */
  dockerHost: string;
  networkName: pulumi.Output<string>;
  /** Swarm service names, by role. */
  serviceNames: { aggregators: string; balancers: string; agents: string };
  /** How many tasks each service runs. */
  replicas: { aggregators: number; balancers: number; agents: number };
  /** Host names of the balancers on the lab's network, as the agents list them. */
  balancerHostnames: string[];
  /** Published in host mode on every node that runs a balancer. */
  ports: { vector: number; remoteWrite: number; stats: number };
  /** The lab's CA certificate (public). */
  caCertPem: pulumi.Output<string>;
}

export function buildSwarmLab(config: LabConfig, naming: LabNaming): SwarmLabOutputs {
  const provider = config.dockerHost
    ? new docker.Provider("swarm-manager", { host: config.dockerHost })
    : undefined;
  const opts: pulumi.CustomResourceOptions = { provider };
  const network = new docker.Network(
    "network",
    {
      name: naming.networkName,
      driver: "overlay",
      attachable: true,
      labels: dockerLabels(naming.labels("network")),
    },
    opts,
  );
  const pki = labPki(config, naming.prefix);
  const files = new SwarmFiles(naming, opts);
  const ca = files.secret("ca", vectorPaths.caCert, pki.caCertPem);
  const balancerHostnames = Array.from({ length: config.balancerCount }, (_, i) =>
    naming.balancerTaskHostname(i + 1),
  );
  const identityFiles = (
    what: string,
    cert: { certPem: pulumi.Output<string>; privateKeyPem: pulumi.Output<string> },
  ): SwarmFile[] => [
    ca,
    files.secret(`${what}-crt`, vectorPaths.nodeCert, cert.certPem),
    files.secret(`${what}-key`, vectorPaths.nodeKey, cert.privateKeyPem, cert.certPem),
  ];

  // Agents dial a balancer's task name, or (metrics) the balancers' service name: passthrough, so the
  // aggregators' certificate names them all.
  const aggregatorIdentity = pki.issueServerCertificate({
    name: "aggregators",
    commonName: naming.aggregatorPoolHostname,
    dnsNames: [naming.aggregatorPoolHostname, naming.balancerHostname, ...balancerHostnames, "localhost"],
  });
  const aggregators = declareSwarmService(
    "aggregators",
    {
      serviceName: naming.aggregatorPoolHostname,
      role: "aggregator",
      naming,
      image: config.vectorImage,
      networkId: network.id,
      replicas: config.aggregatorCount,
      hostname: slotHostname,
      files: [
        files.config(
          "agg-yaml",
          vectorPaths.config,
          renderVectorYaml(
            // Every task writes to a volume of its own: one file name serves them all.
            aggregatorVectorConfig({
              nodeName: "aggregator",
              maxConnectionAgeSecs: config.maxConnectionAgeSecs,
            }),
          ),
        ),
        files.config("ssl-cnf", vectorPaths.opensslConfig, vectorOpensslConfig),
        ...identityFiles("agg", aggregatorIdentity),
      ],
      env: { OPENSSL_CONF: vectorPaths.opensslConfig },
      healthcheck: aggregatorHealthcheck,
      dataVolume: true,
      updateOrder: "start-first",
    },
    opts,
  );

  const balancers = declareSwarmService(
    "balancers",
    {
      serviceName: naming.balancerHostname,
      role: "haproxy",
      naming,
      image: config.haproxyImage,
      networkId: network.id,
      replicas: config.balancerCount,
      hostname: slotHostname,
      files: [
        files.config(
          "lb-cfg",
          haproxyConfigPath,
          renderHaproxyConfig(haproxySpecOf(config, naming.aggregatorPoolHostname)),
        ),
      ],
      maxReplicasPerNode: 1,
      publishedPorts: [config.vectorPort, config.remoteWritePort, config.statsPort],
      dataVolume: false,
      // Host ports: the old task must free them before a new one on the same node can bind them.
      updateOrder: "stop-first",
    },
    { ...opts, dependsOn: [aggregators] },
  );

  const agentIdentity = pki.issueClientCertificate({ name: "agents", commonName: naming.agentServiceName });
  declareSwarmService(
    "agents",
    {
      serviceName: naming.agentServiceName,
      role: "agent",
      naming,
      image: config.vectorImage,
      networkId: network.id,
      replicas: config.agentCount,
      files: [
        files.config(
          "agent-yaml",
          vectorPaths.config,
          renderVectorYaml(
            agentVectorConfig({
              balancerHost: naming.balancerHostname,
              balancerHosts: balancerHostnames,
              vectorPort: config.vectorPort,
              remoteWritePort: config.remoteWritePort,
              tls: containerTlsFiles,
            }),
          ),
        ),
        ...identityFiles("agent", agentIdentity),
      ],
      // Its demo app runs beside Vector in the same container (a service's tasks share no volume), writing
      // the file Vector tails into the container's own file system: a new task, a new file from 1. The
      // file source names each event's host: the task's container id, so each task is an identity.
      commands: [
        "bash",
        "-c",
        `(${demoAppScript({ agentName: naming.agentServiceName, intervalSecs: agentEventIntervalSecs })}) & exec vector`,
      ],
      dataVolume: true,
      // An agent drains its buffer before its successor starts numbering anew.
      updateOrder: "stop-first",
    },
    { ...opts, dependsOn: [balancers] },
  );

  return {
    target: "swarm",
    dockerHost: config.dockerHost ?? "",
    networkName: network.name,
    serviceNames: {
      aggregators: naming.aggregatorPoolHostname,
      balancers: naming.balancerHostname,
      agents: naming.agentServiceName,
    },
    replicas: {
      aggregators: config.aggregatorCount,
      balancers: config.balancerCount,
      agents: config.agentCount,
    },
    balancerHostnames,
    ports: { vector: config.vectorPort, remoteWrite: config.remoteWritePort, stats: config.statsPort },
    caCertPem: pki.caCertPem,
  };
}
