/**
 * The HAProxy container: TCP/TLS passthrough in front of the aggregators, its rendered haproxy.cfg
 * uploaded where the official image reads it, its ports published on the configured host address.
 * Its inputs do not depend on the aggregator count, so scaling never touches it.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { haproxyConfigPath } from "./constants";
import { dockerLabels } from "./dockerLabels";
import { renderHaproxyConfig, type HaproxySpec } from "./haproxyConfig";
import type { LabNaming } from "./naming";

export interface LoadBalancerArgs {
  /** What haproxy.cfg is rendered from (its ports are also the ones published). */
  haproxy: HaproxySpec;
  /** The stack's names and labels (the balancer's alias, the aggregators' pool alias). */
  naming: LabNaming;
  /** The lab's network. */
  networkName: pulumi.Input<string>;
  /** The HAProxy image to run. */
  image: pulumi.Input<string>;
  /** Host address the three ports are published on. */
  hostBindAddress: string;
  /**
   * Started once these exist (the aggregators), so that HAProxy's first DNS answer has them and it
   * never starts with a backend that has no server (its ALERT). Scaling changes none of its inputs.
   */
  startAfter?: pulumi.Resource[];
}

export class LoadBalancer extends pulumi.ComponentResource {
  readonly container: docker.Container;
  readonly containerName: string;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vector-ha-lab:index:LoadBalancer", name, {}, opts);
    const { naming, haproxy } = args;
    const haproxyCfg = renderHaproxyConfig(haproxy);
    const publish = (port: number): docker.types.input.ContainerPort => ({
      internal: port,
      external: port,
      ip: args.hostBindAddress,
      protocol: "tcp",
    });
    this.containerName = naming.balancerContainerName;
    this.container = new docker.Container(
      "haproxy",
      {
        name: naming.balancerContainerName,
        hostname: naming.balancerContainerName,
        image: args.image,
        labels: dockerLabels(naming.labels("haproxy")),
        restart: "unless-stopped",
        networksAdvanced: [{ name: args.networkName, aliases: [naming.balancerHostname] }],
        ports: [publish(haproxy.vectorPort), publish(haproxy.remoteWritePort), publish(haproxy.statsPort)],
        uploads: [{ file: haproxyConfigPath, content: haproxyCfg }],
      },
      // Its name is fixed: the old one must go before the new one can take it.
      { parent: this, dependsOn: args.startAfter, deleteBeforeReplace: true },
    );
    this.registerOutputs({ containerName: this.containerName });
  }
}
