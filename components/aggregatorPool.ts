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
  count: number;
  naming: LabNaming;
  networkName: pulumi.Input<string>;
  image: pulumi.Input<string>;
  pki: Pki;
  /** Names agents may dial to reach an aggregator through the balancer (its DNS names and IPs). */
  balancerDnsNames: string[];
  balancerIpAddresses: string[];
  maxConnectionAgeSecs: number;
}

/**
 * Docker's own view of an aggregator's health: `GET /health` on Vector's API. Uses bash's /dev/tcp,
 * since the Vector image has bash but neither curl nor wget.
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
  readonly containerNames: string[];
  readonly containers: docker.Container[];

  constructor(name: string, args: AggregatorPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vector-ha-lab:index:AggregatorPool", name, {}, opts);
    this.containers = [];
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
      this.containers.push(
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
          parent: this,
        }),
      );
      this.containerNames.push(containerName);
    }
    this.registerOutputs({ containerNames: this.containerNames });
  }
}
