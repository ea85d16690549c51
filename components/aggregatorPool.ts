/**
 * The aggregators: `count` Vector containers behind the balancer, each with its own server certificate,
 * all carrying the pool's shared network alias that HAProxy resolves. Index-stable names: going from 3
 * to 2 removes only `aggregator-2`.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { aggregatorPorts, vectorPaths } from "./constants";
import type { LabNaming } from "./naming";
import type { Pki } from "./pki";
import { aggregatorVectorConfig, renderVectorYaml, vectorOpensslConfig } from "./vectorConfig";
import { declareVectorContainer } from "./vectorContainer";

export interface AggregatorPoolArgs {
  /** How many aggregators: `aggregator-0` to `aggregator-(count-1)`. */
  count: number;
  /** The stack's names and labels. */
  naming: LabNaming;
  /** The lab's network, where each aggregator carries the pool's alias. */
  networkName: pulumi.Input<string>;
  /** The Vector image to run. */
  image: pulumi.Input<string>;
  /** The lab's CA, which issues each aggregator's server certificate. */
  pki: Pki;
  /** DNS names agents may dial to reach an aggregator through the balancer: in every certificate. */
  balancerDnsNames: string[];
  /** IP addresses agents may dial to reach an aggregator through the balancer: in every certificate. */
  balancerIpAddresses: string[];
  /** Vector `keepalive.max_connection_age_secs` of the `vector` source: connections are recycled. */
  maxConnectionAgeSecs: number;
  /** Pulumi names of containers to keep as they run (a roll in progress: vectorContainer.ts `hold`). */
  held: ReadonlySet<string>;
}

/**
 * Docker's own view of an aggregator's health: `GET /health` on Vector's API. Uses bash's /dev/tcp,
 * since the Vector image has bash but neither curl nor wget. It only informs `docker ps` and the
 * lab's `status`; what takes an aggregator out of rotation is HAProxy's own check of the same
 * endpoint (haproxyConfig.ts, `healthCheckTimings`: several times a second, 2 failures). Docker's runs
 * every 2 s and waits for 3 failures, since a process per probe in each container costs more than
 * HAProxy's.
 */
export const aggregatorHealthcheck: docker.types.input.ContainerHealthcheck = {
  tests: [
    "CMD",
    "bash",
    "-c",
    `exec 3<>/dev/tcp/127.0.0.1/${aggregatorPorts.api} && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '`,
  ],
  interval: "2s",
  timeout: "2s",
  startPeriod: "5s",
  retries: 3,
};

export class AggregatorPool extends pulumi.ComponentResource {
  /** Docker names of the aggregator containers, index order. */
  readonly containerNames: string[];

  constructor(name: string, args: AggregatorPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vector-ha-lab:index:AggregatorPool", name, {}, opts);
    this.containerNames = [];
    for (let index = 0; index < args.count; index++) {
      const containerName = args.naming.aggregatorName(index);
      const identity = args.pki.issueServerCertificate({
        name: `aggregator-${index}`,
        commonName: containerName,
        // Passthrough: agents check this certificate against the balancer's name, so it names both.
        dnsNames: [containerName, args.naming.aggregatorPoolHostname, ...args.balancerDnsNames],
        ipAddresses: args.balancerIpAddresses,
        parent: this,
      });
      const vectorYaml = renderVectorYaml(
        aggregatorVectorConfig({ nodeName: containerName, maxConnectionAgeSecs: args.maxConnectionAgeSecs }),
      );
      declareVectorContainer({
        name: `aggregator-${index}`,
        containerName,
        role: "aggregator",
        naming: args.naming,
        image: args.image,
        networkName: args.networkName,
        aliases: [args.naming.aggregatorPoolHostname],
        vectorYaml,
        identity,
        caCertPem: args.pki.caCertPem,
        healthcheck: aggregatorHealthcheck,
        // No TLS session tickets: see vectorOpensslConfig.
        extraUploads: [{ file: vectorPaths.opensslConfig, content: vectorOpensslConfig }],
        envs: [`OPENSSL_CONF=${vectorPaths.opensslConfig}`],
        hold: args.held.has(`aggregator-${index}`),
        parent: this,
      });
      this.containerNames.push(containerName);
    }
    this.registerOutputs({ containerNames: this.containerNames });
  }
}
