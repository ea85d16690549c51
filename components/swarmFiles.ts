/**
 * The files the swarm target's services read: rendered configs as Swarm configs, certificates and keys
 * as Swarm secrets. Both are immutable in Swarm, so each is named after a digest of what it holds (a
 * key after its certificate's, which changes with it: nothing is derived from a secret). A changed
 * file is a new object under a new name; the services that use it are updated to it and roll their
 * tasks (swarmServices.ts `updateConfig`), and only then is the old object deleted.
 */
import * as crypto from "crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerLabels } from "./dockerLabels";
import type { LabNaming } from "./naming";

/** First hex digits of the SHA-256 of `text`: a version that changes whenever `text` does. */
export function contentVersion(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex").slice(0, 10);
}

/** A file of a service's tasks, as the service spec references it. */
export interface SwarmFile {
  id: pulumi.Output<string>;
  name: pulumi.Output<string>;
  /** Where the task reads it. */
  path: string;
  kind: "config" | "secret";
}

const base64 = (text: pulumi.Input<string>): pulumi.Output<string> =>
  pulumi.output(text).apply((t) => Buffer.from(t, "utf8").toString("base64"));

/** Label holding the version of a secret's content (its certificate's digest). */
export const versionLabel = "vector-ha-lab.version";

export class SwarmFiles {
  constructor(
    private readonly naming: LabNaming,
    private readonly opts: pulumi.CustomResourceOptions,
  ) {}

  /**
   * A Swarm config holding `content` (public, known when the program runs), read at `path`. Its name,
   * also its Pulumi name, carries the content's version: a new version is a new resource, created
   * before the services move to it, and the old one is deleted once nothing uses it. (A changed name
   * on one resource would be replaced delete-first, since the provider cannot know the new name is
   * free, and Swarm refuses to delete a config a service uses.)
   */
  config(what: string, path: string, content: string): SwarmFile {
    const name = this.naming.swarmObjectName(what, contentVersion(content));
    const config = new docker.ServiceConfig(
      name,
      { name, data: base64(content), labels: dockerLabels(this.naming.labels("swarm-file")) },
      this.opts,
    );
    return { id: config.id, name: config.name, path, kind: "config" };
  }

  /**
   * A Swarm secret holding `content`, read at `path`. Certificates exist only once the engine made
   * them, so the version cannot be in the Pulumi name: the secret is named by Pulumi (`vhl-<stack>-
   * <what>-<random>`, new for every new content, created before the old one is deleted) and its label
   * `vector-ha-lab.version` carries the version, a digest of `versionOf`: public text that changes
   * whenever `content` does (the certificate, for its key).
   */
  secret(
    what: string,
    path: string,
    content: pulumi.Output<string>,
    versionOf: pulumi.Output<string> = content,
  ): SwarmFile {
    const labels = dockerLabels(this.naming.labels("swarm-file"));
    const secret = new docker.Secret(
      this.naming.swarmObjectName(what),
      {
        data: pulumi.secret(base64(content)),
        labels: versionOf.apply((v) => [...labels, { label: versionLabel, value: contentVersion(v) }]),
      },
      this.opts,
    );
    return { id: secret.id, name: secret.name, path, kind: "secret" };
  }
}
