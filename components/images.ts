/**
 * The images the lab runs. By default the official images, pulled by the engine and removed again on
 * destroy; with `useLocalImages`, images that already exist in the local engine (machines without a
 * registry): never pulled, and left in place on destroy since the lab did not create them.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export interface LabImagesArgs {
  /** HAProxy image reference (official image, or a local build). */
  haproxyImage: string;
  /** Vector image reference (official image, or a local build). */
  vectorImage: string;
  /** Images already in the local engine: never pulled, and left in place on destroy. */
  useLocalImages: boolean;
}

export class LabImages extends pulumi.ComponentResource {
  /** Image ids to run containers from. */
  readonly haproxyImageId: pulumi.Output<string>;
  readonly vectorImageId: pulumi.Output<string>;

  constructor(name: string, args: LabImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vector-ha-lab:index:LabImages", name, {}, opts);
    const image = (role: string, reference: string): docker.RemoteImage =>
      new docker.RemoteImage(
        `${role}-image`,
        { name: reference, keepLocally: args.useLocalImages },
        { parent: this },
      );
    this.haproxyImageId = image("haproxy", args.haproxyImage).imageId;
    this.vectorImageId = image("vector", args.vectorImage).imageId;
    this.registerOutputs({ haproxyImageId: this.haproxyImageId, vectorImageId: this.vectorImageId });
  }
}
