/**
 * One service of the swarm target as the lab runs it: replicated tasks on the lab's overlay network,
 * found by Docker's DNS (dnsrr: this kernel-independent mode needs no IPVS), reading their files from
 * Swarm configs and secrets (swarmFiles.ts), keeping Vector's `data_dir` on a volume of each task's
 * own (removed with the task), and rolling one task at a time when its spec changes.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { vectorPaths } from "./constants";
import { dockerLabels } from "./dockerLabels";
import type { LabNaming, LabRole } from "./naming";
import type { SwarmFile } from "./swarmFiles";

/**
 * A Swarm hostname template: the task's service and slot (`<service>-<slot>`). Docker's DNS resolves a
 * task's host name on the network, so `<balancer service>-1` always names balancer slot 1, wherever
 * Swarm runs it.
 */
export const slotHostname = "{{.Service.Name}}-{{.Task.Slot}}";

export interface SwarmServiceArgs {
  /** Swarm service name (also what Docker's DNS resolves to every task). */
  serviceName: string;
  role: LabRole;
  naming: LabNaming;
  image: pulumi.Input<string>;
  networkId: pulumi.Input<string>;
  replicas: number;
  /** Its configs and secrets, each read at its path. */
  files: SwarmFile[];
  /** A Swarm hostname template (default: Docker's, the container id). */
  hostname?: string;
  commands?: string[];
  env?: Record<string, string>;
  healthcheck?: docker.types.input.ServiceTaskSpecContainerSpecHealthcheck;
  /** At most this many tasks on one node (the balancers: one, so each is on its own node). */
  maxReplicasPerNode?: number;
  /** Ports published in host mode on the node of each task (no routing mesh without IPVS). */
  publishedPorts?: number[];
  /** Vector's `data_dir` on a volume of the task's own. */
  dataVolume: boolean;
  /**
   * How a task is replaced: `start-first` runs the new one before stopping the old (aggregators:
   * never fewer than `replicas`); `stop-first` for tasks that cannot run twice on a node (host ports)
   * or that must hand over their state.
   */
  updateOrder: "start-first" | "stop-first";
}

/** Seconds between two tasks of a roll: HAProxy's DNS sees a new aggregator within 2 s and checks it UP. */
const rollDelay = "5s";

export function declareSwarmService(
  name: string,
  args: SwarmServiceArgs,
  opts: pulumi.CustomResourceOptions,
): docker.Service {
  const labels = dockerLabels(args.naming.labels(args.role));
  return new docker.Service(
    name,
    {
      name: args.serviceName,
      labels,
      mode: { replicated: { replicas: args.replicas } },
      endpointSpec: {
        mode: "dnsrr",
        ports: (args.publishedPorts ?? []).map((port) => ({
          targetPort: port,
          publishedPort: port,
          publishMode: "host",
          protocol: "tcp",
        })),
      },
      taskSpec: {
        containerSpec: {
          image: args.image,
          hostname: args.hostname,
          commands: args.commands,
          env: args.env,
          labels,
          healthcheck: args.healthcheck,
          // Vector drains what it holds on SIGTERM; HAProxy stops within its hard-stop-after.
          stopGracePeriod: "30s",
          configs: args.files
            .filter((f) => f.kind === "config")
            .map((f) => ({ configId: f.id, configName: f.name, fileName: f.path, fileMode: 0o444 })),
          // Readable by their owner only: Vector and HAProxy run as root in these images.
          secrets: args.files
            .filter((f) => f.kind === "secret")
            .map((f) => ({ secretId: f.id, secretName: f.name, fileName: f.path, fileMode: 0o400 })),
          mounts: args.dataVolume
            ? [{ type: "volume", target: vectorPaths.dataDir, volumeOptions: { labels } }]
            : [],
        },
        // By id: Swarm reports the network by id, and the provider replaces a service whose network
        // reference differs from what it reads back (a name would make every update a replacement).
        networksAdvanceds: [{ id: args.networkId }],
        placement: {
          maxReplicas: args.maxReplicasPerNode,
          // One per node before two on any (at most one per node unless there are more than nodes).
          prefs: ["spread=node.id"],
        },
        // `window` as Swarm reports it, so a refresh finds nothing changed.
        restartPolicy: { condition: "any", delay: "1s", window: "0s" },
      },
      updateConfig: {
        parallelism: 1,
        delay: rollDelay,
        order: args.updateOrder,
        monitor: "5s",
        failureAction: "rollback",
      },
      rollbackConfig: { parallelism: 1, order: args.updateOrder, monitor: "5s" },
      // `up` returns once every task runs its new spec.
      convergeConfig: { delay: "1s", timeout: "3m" },
    },
    opts,
  );
}
