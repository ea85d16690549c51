/**
 * One Vector container as the lab runs it: its rendered vector.yaml, its certificate, key and the CA
 * uploaded where the config names them, and its `data_dir` on a volume of its own. Aggregators and
 * agents differ only in what they pass here.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { vectorPaths } from "./constants";
import { dockerLabels } from "./dockerLabels";
import type { LabNaming, LabRole } from "./naming";
import type { IssuedCertificate } from "./pki";

export interface VectorContainerArgs {
  /** Pulumi name of the container; its volume is `<name>-data`. */
  name: string;
  /** Docker container name, also its host name. */
  containerName: string;
  /** Its role label: aggregator or agent. */
  role: LabRole;
  /** The stack's names and labels. */
  naming: LabNaming;
  /** The Vector image to run. */
  image: pulumi.Input<string>;
  /** The lab's network. */
  networkName: pulumi.Input<string>;
  /** Extra network aliases (the aggregators' shared pool alias). */
  aliases?: string[];
  /** The rendered vector.yaml, uploaded where the official image reads it. */
  vectorYaml: string;
  /** Its certificate and (secret) key, uploaded where the config's `tls` blocks name them. */
  identity: IssuedCertificate;
  /** The lab's CA certificate, to verify the other side. */
  caCertPem: pulumi.Input<string>;
  /** Docker's health check, if any (a change replaces the container: the provider cannot update it). */
  healthcheck?: docker.types.input.ContainerHealthcheck;
  /** Files besides the config, certificate, key and CA (an aggregator's OpenSSL settings). */
  extraUploads?: docker.types.input.ContainerUpload[];
  /** Environment variables (an aggregator's OPENSSL_CONF). */
  envs?: string[];
  /** Volumes besides its own `data_dir` (an agent reads its demo app's log volume, read-only). */
  extraVolumes?: docker.types.input.ContainerVolume[];
  /** The component it belongs to. */
  parent: pulumi.Resource;
  /** What must exist before it starts. */
  dependsOn?: pulumi.Resource[];
  /** Keep the running container as it is, whatever its inputs now say (a roll's later step: heldInputs). */
  hold?: boolean;
}

/**
 * What a held container ignores: everything a roll changes (certificates, trust bundle and vector.yaml
 * in `uploads`, `envs`, `image`). Its dependencies still move to the new resources, so what it used
 * before (an old CA) can be deleted while it runs on; a later `up` targeting it replaces it.
 */
export const heldInputs = ["uploads", "envs", "image"];

export function declareVectorContainer(args: VectorContainerArgs): docker.Container {
  const labels = args.naming.labels(args.role);
  const volume = new docker.Volume(
    `${args.name}-data`,
    { name: args.naming.dataVolumeName(args.containerName), labels: dockerLabels(labels) },
    { parent: args.parent },
  );
  return new docker.Container(
    args.name,
    {
      name: args.containerName,
      hostname: args.containerName,
      image: args.image,
      labels: dockerLabels(labels),
      restart: "unless-stopped",
      networksAdvanced: [{ name: args.networkName, aliases: args.aliases ?? [] }],
      volumes: [
        { volumeName: volume.name, containerPath: vectorPaths.dataDir },
        ...(args.extraVolumes ?? []),
      ],
      uploads: [
        { file: vectorPaths.config, content: args.vectorYaml },
        { file: vectorPaths.caCert, content: args.caCertPem },
        { file: vectorPaths.nodeCert, content: args.identity.certPem },
        // A secret input: the provider keeps it encrypted in state. Readable by its owner only: Vector
        // runs as root in the official image, the user the upload belongs to.
        { file: vectorPaths.nodeKey, content: args.identity.privateKeyPem, permissions: "0400" },
        ...(args.extraUploads ?? []),
      ],
      envs: args.envs,
      healthcheck: args.healthcheck,
    },
    {
      parent: args.parent,
      dependsOn: args.dependsOn,
      replaceOnChanges: ["healthcheck"],
      ignoreChanges: args.hold ? heldInputs : undefined,
      // Its name is fixed: the old one must go before the new one can take it.
      deleteBeforeReplace: true,
    },
  );
}
