/**
 * Takes what another tool needs to start the lab's containers again out of a running lab: `docker
 * inspect` of each container and its image, and a copy (`docker cp`) of the files the lab uploaded into
 * it: vector.yaml, certificates and private keys, haproxy.cfg. The copies hold private keys: they go
 * only into the caller's private directory (mode 0700, outside the repository) and are never printed.
 */
import * as fs from "fs";
import { labelKeys } from "../../components/constants";
import { docker } from "../dockerCli";
import {
  containerSpecFromInspect,
  type ContainerSpec,
  type InspectedContainer,
  type InspectedImage,
} from "./containerSpec";
import { copiedFilesDir, uploadedFilesDir } from "./replicaPlan";

/** The stack's containers as specs, their uploaded files copied under `filesDir`. */
export function captureLab(
  project: string,
  stackName: string,
  labPrefix: string,
  filesDir: string,
): ContainerSpec[] {
  const ids = docker(
    "ps",
    "-aq",
    "--filter",
    `label=${labelKeys.project}=${project}`,
    "--filter",
    `label=${labelKeys.stack}=${stackName}`,
  )
    .split("\n")
    .filter(Boolean);
  if (ids.length === 0) throw new Error(`stack ${stackName} has no containers to copy: is it up?`);
  const containers = JSON.parse(docker("inspect", ...ids)) as InspectedContainer[];
  const imageIds = [...new Set(containers.map((c) => c.Config.Image))];
  const images = new Map(
    imageIds.map((id) => [id, (JSON.parse(docker("image", "inspect", id)) as InspectedImage[])[0]] as const),
  );
  return containers.map((container) => {
    const spec = containerSpecFromInspect(container, images.get(container.Config.Image)!);
    const uploads = uploadedFilesDir(spec.labels[labelKeys.role]);
    if (uploads) {
      const copy = copiedFilesDir(filesDir, labPrefix, spec.name);
      // Readable by the container's own user (HAProxy's may not be root); the parent stays 0700.
      fs.mkdirSync(copy, { recursive: true, mode: 0o755 });
      docker("cp", `${spec.name}:${uploads}/.`, copy);
    }
    return spec;
  });
}
