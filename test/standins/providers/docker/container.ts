/**
 * `docker:index/container:Container`. Create = create the container, put the uploads into it, connect
 * its networks, start it; with `mustRun` it must be running right after the start, with `wait` it must
 * become healthy within `waitTimeout` seconds.
 *
 * One deliberate difference from the real provider (docs/facts.md, "The docker and tls providers"): a change of
 * `healthcheck` replaces the container. The real provider plans an in-place update that never reaches
 * the container; a stand-in that did the same would hide the problem the lab must solve otherwise.
 */
import type { CheckFailure } from "@pulumi/pulumi/provider";
import type Docker from "dockerode";
import { tarArchive } from "./archive";
import { canonicalSet, expectType } from "./fields";
import { dockerMessage, isNotFound, labelMap, ResourceType } from "./resourceType";
import { deepEqual, isPlainObject, isUnknown, PropertyMap } from "./values";

interface Upload {
  file: string;
  content?: string;
  contentBase64?: string;
  executable?: boolean;
  /** Octal mode such as "0400"; wins over `executable`, as in the real provider. */
  permissions?: string;
}
interface Port {
  internal: number;
  external?: number;
  ip?: string;
  protocol?: string;
}
interface NetworkAttachment {
  name: string;
  aliases?: string[];
}
interface VolumeMount {
  volumeName: string;
  containerPath: string;
  readOnly?: boolean;
}
interface Healthcheck {
  tests: string[];
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  retries?: number;
}

const restartPolicies = ["no", "on-failure", "always", "unless-stopped"];

export const container: ResourceType = {
  named: true,
  fields: {
    name: { onChange: "replace" },
    image: { onChange: "replace" },
    hostname: { onChange: "replace", computed: true },
    labels: { onChange: "replace", keys: ["label", "value"], unordered: true },
    envs: { onChange: "replace", unordered: true },
    command: { onChange: "replace", computed: true },
    entrypoints: { onChange: "replace", computed: true },
    user: { onChange: "replace" },
    workingDir: { onChange: "replace" },
    networksAdvanced: { onChange: "replace", keys: ["name", "aliases"], unordered: true },
    networkMode: { onChange: "replace", computed: true },
    ports: { onChange: "replace", keys: ["internal", "external", "ip", "protocol"], same: samePorts },
    uploads: {
      onChange: "replace",
      keys: ["file", "content", "contentBase64", "executable", "permissions"],
      unordered: true,
    },
    volumes: { onChange: "replace", keys: ["volumeName", "containerPath", "readOnly"], unordered: true },
    healthcheck: { onChange: "replace", keys: ["tests", "interval", "timeout", "startPeriod", "retries"] },
    logDriver: { onChange: "replace", computed: true },
    logOpts: { onChange: "replace" },
    restart: { onChange: "update" },
    mustRun: { onChange: "update" },
    wait: { onChange: "update" },
    waitTimeout: { onChange: "update" },
    destroyGraceSeconds: { onChange: "update" },
  },
  defaults: { restart: "no", mustRun: true, wait: false, waitTimeout: 60 },
  validate: validateContainer,
  async create(docker, inputs) {
    const uploads = (inputs.uploads as Upload[] | undefined) ?? [];
    const networks = (inputs.networksAdvanced as NetworkAttachment[] | undefined) ?? [];
    const [firstNetwork, ...otherNetworks] = networks;
    const created = await docker.createContainer({
      name: inputs.name as string,
      Image: inputs.image as string,
      Hostname: inputs.hostname as string | undefined,
      Cmd: inputs.command as string[] | undefined,
      Entrypoint: inputs.entrypoints as string[] | undefined,
      Env: inputs.envs as string[] | undefined,
      Labels: labelMap(inputs.labels),
      User: inputs.user as string | undefined,
      WorkingDir: inputs.workingDir as string | undefined,
      ExposedPorts: Object.fromEntries(portsOf(inputs).map((p) => [portKey(p), {}])),
      Healthcheck: healthConfig(inputs.healthcheck as Healthcheck | undefined),
      HostConfig: {
        PortBindings: portBindings(portsOf(inputs)),
        RestartPolicy: { Name: inputs.restart as string },
        LogConfig: inputs.logDriver
          ? { Type: inputs.logDriver as string, Config: (inputs.logOpts as Record<string, string>) ?? {} }
          : undefined,
        Binds: ((inputs.volumes as VolumeMount[] | undefined) ?? []).map(
          (v) => `${v.volumeName}:${v.containerPath}${v.readOnly ? ":ro" : ""}`,
        ),
        NetworkMode: (inputs.networkMode as string | undefined) ?? firstNetwork?.name,
      },
      NetworkingConfig: firstNetwork
        ? { EndpointsConfig: { [firstNetwork.name]: { Aliases: firstNetwork.aliases ?? [] } } }
        : undefined,
    });
    // Create is transactional: whatever fails from here on removes the container again, except a
    // container that runs but never became healthy (reported with its id, as the real provider does).
    let outs: PropertyMap;
    try {
      if (uploads.length > 0) {
        await created.putArchive(
          tarArchive(
            uploads.map((u) => ({
              path: u.file,
              content:
                u.content !== undefined
                  ? Buffer.from(u.content, "utf8")
                  : Buffer.from(u.contentBase64!, "base64"),
              mode: u.permissions !== undefined ? parseInt(u.permissions, 8) : u.executable ? 0o744 : 0o644,
            })),
          ),
          { path: "/" },
        );
      }
      for (const attachment of otherNetworks) {
        await docker
          .getNetwork(attachment.name)
          .connect({ Container: created.id, EndpointConfig: { Aliases: attachment.aliases ?? [] } });
      }
      await created.start();
      if (inputs.mustRun === true) {
        const state = (await created.inspect()).State;
        if (!state.Running) {
          const logs = await logTail(created);
          throw new Error(
            `it exited right after its start (status ${state.Status}, exit code ${state.ExitCode}); its last output:\n${logs}`,
          );
        }
      }
      outs = await liveOutputs(created, inputs);
    } catch (error) {
      await created.remove({ force: true, v: true }).catch(() => undefined);
      throw new Error(`container ${String(inputs.name)} could not be set up: ${dockerMessage(error)}`);
    }
    if (inputs.wait === true) {
      const failure = await waitUntilHealthy(created, inputs.waitTimeout as number);
      if (failure !== undefined) {
        // The container exists: report it with its state, so the engine records it (and replaces it
        // on the next `up`), as the real provider does with a container that never became healthy.
        // The engine shows only the reasons of such a failure: the message goes there whole.
        const message = `container ${String(inputs.name)} ${failure}`;
        throw Object.assign(new Error(message), { id: created.id, properties: outs, reasons: [message] });
      }
    }
    return { id: created.id, outs };
  },
  async read(docker, id, state) {
    try {
      return await liveOutputs(docker.getContainer(id), state);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  },
  async update(docker, id, olds, news) {
    if (news.restart !== olds.restart) {
      await docker.getContainer(id).update({ RestartPolicy: { Name: news.restart as string } });
    }
    // mustRun, wait, waitTimeout and destroyGraceSeconds only govern what the provider does. Ports
    // are replace-only, so here they are unchanged: keep the host ports Docker chose.
    return olds.ports === undefined ? news : { ...news, ports: olds.ports };
  },
  async delete(docker, id, state) {
    const target = docker.getContainer(id);
    try {
      if (typeof state.destroyGraceSeconds === "number") {
        await target.stop({ t: state.destroyGraceSeconds }).catch((error) => {
          if (isNotFound(error) || (error as { statusCode?: number }).statusCode === 304) return;
          throw error;
        });
      }
      await target.remove({ force: true, v: true });
    } catch (error) {
      if (isNotFound(error)) return;
      // 409 "removal already in progress": wait until it is gone.
      if ((error as { statusCode?: number }).statusCode === 409) {
        await target.wait({ condition: "removed" }).catch(() => undefined);
        return;
      }
      throw new Error(`cannot remove container ${String(state.name)}: ${dockerMessage(error)}`);
    }
  },
};

function validateContainer(inputs: PropertyMap): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string | undefined) => {
    if (reason) failures.push({ property, reason });
  };
  if (inputs.image === undefined) fail("image", "Container needs an image");
  for (const [field, kind] of [
    ["name", "string"],
    ["image", "string"],
    ["hostname", "string"],
    ["user", "string"],
    ["workingDir", "string"],
    ["networkMode", "string"],
    ["logDriver", "string"],
    ["restart", "string"],
    ["envs", "string[]"],
    ["command", "string[]"],
    ["entrypoints", "string[]"],
    ["mustRun", "boolean"],
    ["wait", "boolean"],
    ["waitTimeout", "number"],
    ["destroyGraceSeconds", "number"],
  ] as const) {
    fail(field, expectType(inputs[field], kind));
  }
  if (typeof inputs.restart === "string" && !restartPolicies.includes(inputs.restart)) {
    fail("restart", `restart must be one of ${restartPolicies.join(", ")}, got "${inputs.restart}"`);
  }
  listOf(inputs.uploads).forEach((upload, i) => {
    const given = ["content", "contentBase64"].filter((k) => upload[k] !== undefined);
    if (given.length !== 1) {
      fail(
        `uploads[${i}]`,
        `an upload needs exactly one of content, contentBase64 (got ${given.join(", ") || "none"})`,
      );
    }
    if (typeof upload.file === "string" && !upload.file.startsWith("/")) {
      fail(`uploads[${i}].file`, `an upload's file must be an absolute path, got "${upload.file}"`);
    }
    if (upload.file === undefined) fail(`uploads[${i}].file`, "an upload needs a file");
    if (upload.permissions !== undefined && !/^0?[0-7]{3}$/.test(String(upload.permissions))) {
      fail(
        `uploads[${i}].permissions`,
        `permissions must be an octal mode such as "0400", got "${upload.permissions}"`,
      );
    }
  });
  listOf(inputs.ports).forEach((port, i) => {
    if (port.internal === undefined) fail(`ports[${i}].internal`, "a port needs internal");
    if (typeof port.protocol === "string" && !["tcp", "udp", "sctp"].includes(port.protocol)) {
      fail(`ports[${i}].protocol`, `protocol must be tcp, udp or sctp, got "${port.protocol}"`);
    }
  });
  listOf(inputs.networksAdvanced).forEach((attachment, i) => {
    if (attachment.name === undefined)
      fail(`networksAdvanced[${i}].name`, "a network attachment needs a name");
  });
  listOf(inputs.volumes).forEach((mount, i) => {
    if (mount.volumeName === undefined || mount.containerPath === undefined) {
      fail(`volumes[${i}]`, "the docker stand-in supports only named volumes: volumeName and containerPath");
    }
  });
  const healthcheck = inputs.healthcheck;
  if (isPlainObject(healthcheck)) {
    if (healthcheck.tests === undefined) fail("healthcheck.tests", "a healthcheck needs tests");
    for (const key of ["interval", "timeout", "startPeriod"]) {
      const value = healthcheck[key];
      if (typeof value === "string" && !isUnknown(value) && parseDuration(value) === undefined) {
        fail(`healthcheck.${key}`, `not a duration (like 500ms, 2s, 1m30s): "${value}"`);
      }
    }
  }
  if (inputs.logOpts !== undefined && !isUnknown(inputs.logOpts)) {
    const options = inputs.logOpts;
    if (!isPlainObject(options) || Object.values(options).some((v) => typeof v !== "string")) {
      fail("logOpts", "logOpts must be a map of strings");
    }
  }
  return failures;
}

function listOf(value: unknown): PropertyMap[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

function portsOf(inputs: PropertyMap): (Port & { ip: string; protocol: string })[] {
  return ((inputs.ports as Port[] | undefined) ?? []).map((p) => ({
    internal: p.internal,
    external: p.external,
    ip: p.ip ?? "0.0.0.0",
    protocol: p.protocol ?? "tcp",
  }));
}

function portKey(port: Port): string {
  return `${port.internal}/${port.protocol ?? "tcp"}`;
}

function portBindings(ports: Port[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of ports) {
    (bindings[portKey(port)] ??= []).push({
      HostIp: port.ip ?? "0.0.0.0",
      HostPort: port.external === undefined ? "" : String(port.external),
    });
  }
  return bindings;
}

/**
 * Ports compared as the real provider does: a port without `external` in the new inputs matches
 * whatever host port Docker chose; `ip` and `protocol` default to 0.0.0.0 and tcp.
 */
function samePorts(oldValue: unknown, newValue: unknown): boolean {
  const normalize = (value: unknown, dropExternal: boolean[] | undefined): unknown =>
    canonicalSet(
      ((value as Port[] | undefined) ?? []).map((p, i) => ({
        internal: p.internal,
        ip: p.ip ?? "0.0.0.0",
        protocol: p.protocol ?? "tcp",
        external: dropExternal?.[i] ? undefined : p.external,
      })),
    );
  const newPorts = (newValue as Port[] | undefined) ?? [];
  const oldPorts = (oldValue as Port[] | undefined) ?? [];
  const withoutExternal = (ports: Port[]) => ports.map((p) => ({ ...p, external: undefined }));
  if (
    !deepEqual(
      normalize(withoutExternal(oldPorts), undefined),
      normalize(withoutExternal(newPorts), undefined),
    )
  ) {
    return false;
  }
  // Same bindings apart from host ports: every host port the new inputs give must be the old one.
  const key = (p: Port) => `${p.internal}/${p.protocol ?? "tcp"}@${p.ip ?? "0.0.0.0"}`;
  return newPorts.every(
    (p) => p.external === undefined || oldPorts.some((o) => key(o) === key(p) && o.external === p.external),
  );
}

/** A Go duration (what the real provider accepts: "500ms", "2s", "1m30s") in nanoseconds. */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const pattern = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(pattern)) {
    total += Number(match[1]) * units[match[2]];
    consumed += match[0].length;
  }
  return consumed === text.length && consumed > 0 ? Math.round(total) : undefined;
}

function healthConfig(healthcheck: Healthcheck | undefined): Docker.HealthConfig | undefined {
  if (healthcheck === undefined) return undefined;
  return {
    Test: healthcheck.tests,
    Interval: parseDuration(healthcheck.interval ?? "0s"),
    Timeout: parseDuration(healthcheck.timeout ?? "0s"),
    StartPeriod: parseDuration(healthcheck.startPeriod ?? "0s"),
    Retries: healthcheck.retries ?? 0,
  };
}

/** The state after create or refresh: the inputs, and what Docker decided (host ports, addresses). */
async function liveOutputs(target: Docker.Container, inputs: PropertyMap): Promise<PropertyMap> {
  const live = await target.inspect();
  const bound = live.NetworkSettings.Ports ?? {};
  const ports =
    inputs.ports === undefined
      ? undefined
      : portsOf(inputs).map((p) => {
          const hostPort = bound[portKey(p)]?.find((b) => b.HostIp === p.ip || p.ip === "0.0.0.0")?.HostPort;
          return { ...p, external: p.external ?? (hostPort ? Number(hostPort) : undefined) };
        });
  return {
    ...inputs,
    name: live.Name.replace(/^\//, ""),
    hostname: live.Config.Hostname,
    logDriver: live.HostConfig.LogConfig?.Type,
    ...(ports === undefined ? {} : { ports }),
    networkDatas: Object.entries(live.NetworkSettings.Networks ?? {}).map(([networkName, n]) => ({
      networkName,
      ipAddress: n.IPAddress,
      ipPrefixLength: n.IPPrefixLen,
      gateway: n.Gateway,
      macAddress: n.MacAddress,
    })),
  };
}

async function waitUntilHealthy(
  target: Docker.Container,
  timeoutSeconds: number,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const state = (await target.inspect()).State;
    const health = state.Health?.Status;
    if (health === undefined)
      return "has wait: true but no health check (neither its healthcheck input nor its image has one)";
    if (health === "healthy") return undefined;
    if (health === "unhealthy") return `became unhealthy: ${lastProbe(state)}`;
    if (!state.Running) return `stopped before it became healthy (exit code ${state.ExitCode})`;
    if (Date.now() > deadline)
      return `did not become healthy within waitTimeout ${timeoutSeconds}s: ${lastProbe(state)}`;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function lastProbe(state: Docker.ContainerInspectInfo["State"]): string {
  const log = state.Health?.Log ?? [];
  const last = log[log.length - 1];
  return last
    ? `last probe exit code ${last.ExitCode}, output ${JSON.stringify(last.Output.trim())}`
    : "no probe ran yet";
}

/** The last lines a container wrote (stdout and stderr, Docker's multiplexed stream taken apart). */
async function logTail(target: Docker.Container): Promise<string> {
  const raw = (await target.logs({
    stdout: true,
    stderr: true,
    tail: 20,
    follow: false,
  })) as unknown as Buffer;
  const chunks: Buffer[] = [];
  for (let offset = 0; offset + 8 <= raw.length;) {
    const size = raw.readUInt32BE(offset + 4);
    chunks.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(chunks).toString("utf8");
}
