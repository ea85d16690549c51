/**
 * The docker stand-in plugin (test/standins/providers/docker) through the real Pulumi CLI and the
 * real Docker engine: what docs/facts.md ("The docker and tls providers") says the real provider
 * does, checked on what `docker inspect` and the containers themselves show.
 * Needs `scripts/prepare-machine.sh` (engine, CLI, installed stand-in plugin) and busybox-static.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import Docker from "dockerode";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { labPulumiHomes } from "../../scripts/labMode";
import { repoRoot } from "../support/host";
import { openLabStack, removeLabStack } from "../../scripts/runner";
import { DockerStandinProvider } from "../standins/providers/docker/provider";

const engine = new Docker();
const runId = randomBytes(3).toString("hex");
/** The stand-in plugins' own Pulumi home (scripts/prepare-machine.sh installs them there). */
const pulumiHome = labPulumiHomes(repoRoot).standins;

const prefix = `standin-docker-${runId}`;
const projectName = "standin-docker-test";
const stackName = `t${runId}`;
/** Every object this test makes carries this label, so cleanup and the destroy check can find them. */
const runLabel = "vector-ha-lab.standin-docker-test";
const testImage = "vector-ha-lab/standin-test-base";
const servedDir = "/srv/www";
const startScript = "/usr/local/bin/start.sh";
const servicePort = 8080;
const dataPath = "/data";
const unhealthySecret = `unhealthy-secret-${runId}`;

/** What the next `up` asks for; each test step changes one thing. */
interface Wanted {
  imageTag: "1" | "2";
  greeting: Record<"first" | "second", string>;
  hostPort: number;
  /** Extra container input, to check that an unimplemented field is an error naming it. */
  extraContainerArgs?: Record<string, unknown>;
  /** Adds a resource type the stand-in does not implement. */
  withUnimplementedType?: boolean;
  /** Adds a RemoteImage of an image the engine does not have (pulling it must fail clearly). */
  withAbsentImage?: boolean;
  /** Adds a container whose health check always fails, with wait: true. */
  withUnhealthy?: boolean;
  /**
   * This `up` or `preview` is meant to fail: the program then returns no outputs. Outputs that wait
   * on resources make the SDK send RegisterResourceOutputs after the engine has given up, and that
   * rejection ("Resource monitor is terminating") escapes the Automation API into Jest.
   */
  expectFailure?: boolean;
}
let wanted: Wanted;

async function program() {
  const labels = [{ label: runLabel, value: runId }];
  const image = new docker.RemoteImage("base", {
    name: `${testImage}:${wanted.imageTag}`,
    keepLocally: true,
  });
  const network = new docker.Network("net", { name: `${prefix}-net`, labels });
  const volume = new docker.Volume("data", { name: `${prefix}-data`, labels });
  const container = (node: "first" | "second", hostPort?: number) =>
    new docker.Container(node, {
      name: `${prefix}-${node}`,
      image: image.name,
      labels: [...labels, { label: "vector-ha-lab.role", value: node }],
      envs: [`NODE=${node}`],
      command: [startScript],
      networksAdvanced: [{ name: network.name, aliases: [`${node}-alias`, "shared-alias"] }],
      ports: [{ internal: servicePort, external: hostPort, ip: "127.0.0.1" }],
      volumes: node === "first" ? [{ volumeName: volume.name, containerPath: dataPath }] : undefined,
      uploads: [
        // A secret: the stand-in must reveal it to Docker and keep it secret in the state.
        // Its mode as given (permissions wins over executable, as in the real provider).
        {
          file: `${servedDir}/index.html`,
          content: pulumi.secret(`${wanted.greeting[node]}\n`),
          permissions: "0440",
        },
        {
          file: startScript,
          executable: true,
          content: [
            "#!/bin/sh",
            `echo "start: $(cat ${servedDir}/index.html)"`,
            `exec /bin/httpd -f -p ${servicePort} -h ${servedDir}`,
            "",
          ].join("\n"),
        },
      ],
      healthcheck: {
        tests: ["CMD", "/bin/wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${servicePort}/index.html`],
        interval: "500ms",
        timeout: "2s",
        retries: 3,
      },
      wait: true,
      waitTimeout: 30,
      ...(node === "first" ? wanted.extraContainerArgs : {}),
    });
  const first = container("first", wanted.hostPort);
  const second = container("second");
  if (wanted.withUnimplementedType) {
    new docker.Tag("tag", { sourceImage: image.name, targetImage: `${testImage}:unused` });
  }
  if (wanted.withAbsentImage) {
    // A registry on a closed local port: the pull fails without leaving this machine.
    new docker.RemoteImage("absent", { name: "127.0.0.1:1/vector-ha-lab/absent:1" });
  }
  if (wanted.withUnhealthy) {
    new docker.Container("unhealthy", {
      name: `${prefix}-unhealthy`,
      image: image.name,
      labels,
      command: ["/bin/sleep", "600"],
      uploads: [{ file: "/secret.txt", content: pulumi.secret(unhealthySecret) }],
      healthcheck: { tests: ["CMD", "/bin/false"], interval: "200ms", retries: 1 },
      wait: true,
      waitTimeout: 20,
      destroyGraceSeconds: 0,
    });
  }
  if (wanted.expectFailure) return {};
  return { networkId: network.id, firstId: first.id, secondId: second.id, imageId: image.imageId };
}

/** A local image with busybox (sh, httpd, wget, cat), tags 1 and 2 of one id; reused when present. */
async function ensureTestImage(): Promise<void> {
  const present = async (tag: string) =>
    engine
      .getImage(`${testImage}:${tag}`)
      .inspect()
      .then(() => true)
      .catch(() => false);
  if ((await present("1")) && (await present("2"))) return;
  if (!fs.existsSync("/bin/busybox")) {
    throw new Error("the test image needs /bin/busybox: apt-get install busybox-static");
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "standin-image-"));
  try {
    const rootfs = path.join(work, "rootfs");
    fs.mkdirSync(path.join(rootfs, "bin"), { recursive: true });
    fs.mkdirSync(path.join(rootfs, "tmp"));
    fs.copyFileSync("/bin/busybox", path.join(rootfs, "bin", "busybox"));
    fs.chmodSync(path.join(rootfs, "bin", "busybox"), 0o755);
    for (const applet of execFileSync("/bin/busybox", ["--list"], { encoding: "utf8" }).split("\n")) {
      if (applet && applet !== "busybox") fs.symlinkSync("busybox", path.join(rootfs, "bin", applet));
    }
    const tarball = path.join(work, "rootfs.tar");
    execFileSync("tar", ["-C", rootfs, "-cf", tarball, "."]);
    const progress = await engine.importImage(tarball, { repo: testImage, tag: "1" });
    await new Promise((resolve, reject) =>
      engine.modem.followProgress(progress, (error) => (error ? reject(error) : resolve(undefined))),
    );
    await engine.getImage(`${testImage}:1`).tag({ repo: testImage, tag: "2" });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function freeLocalPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function httpGet(port: number, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: urlPath }, (response) => {
        let body = "";
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => resolve(body));
      })
      .on("error", reject);
  });
}

/** stdout and stderr of a container, Docker's multiplexed stream taken apart. */
async function containerLogs(name: string): Promise<string> {
  const raw = (await engine
    .getContainer(name)
    .logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  let text = "";
  for (let offset = 0; offset + 8 <= raw.length; offset += 8 + raw.readUInt32BE(offset + 4)) {
    text += raw.subarray(offset + 8, offset + 8 + raw.readUInt32BE(offset + 4)).toString("utf8");
  }
  return text;
}

/** Runs a command in a container; its output and exit code. */
async function execIn(name: string, cmd: string[]): Promise<{ output: string; exitCode: number }> {
  const exec = await engine.getContainer(name).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise((resolve, reject) => {
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  const raw = Buffer.concat(chunks);
  let output = "";
  for (let offset = 0; offset + 8 <= raw.length; offset += 8 + raw.readUInt32BE(offset + 4)) {
    output += raw.subarray(offset + 8, offset + 8 + raw.readUInt32BE(offset + 4)).toString("utf8");
  }
  return { output, exitCode: (await exec.inspect()).ExitCode ?? -1 };
}

async function containersOfThisRun(): Promise<Docker.ContainerInfo[]> {
  return engine.listContainers({ all: true, filters: { label: [`${runLabel}=${runId}`] } });
}

async function networksOfThisRun(): Promise<Docker.NetworkInspectInfo[]> {
  return engine.listNetworks({ filters: { label: [`${runLabel}=${runId}`] } });
}

async function volumesOfThisRun(): Promise<Docker.VolumeInspectInfo[]> {
  return (await engine.listVolumes({ filters: { label: [`${runLabel}=${runId}`] } })).Volumes ?? [];
}

async function containerExists(id: string): Promise<boolean> {
  return engine
    .getContainer(id)
    .inspect()
    .then(() => true)
    .catch(() => false);
}

/** The summary's resource changes other than "same". */
function changesOf(summary: { resourceChanges?: Record<string, number> }): Record<string, number> {
  return Object.fromEntries(
    Object.entries(summary.resourceChanges ?? {}).filter(([kind]) => kind !== "same"),
  );
}

describe("docker stand-in plugin, through the real engine", () => {
  let backendDir: string;
  let stack: Stack;
  let firstPort: number;

  beforeAll(async () => {
    await ensureTestImage();
    backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "standin-docker-test-"));
    firstPort = await freeLocalPort();
    wanted = {
      imageTag: "1",
      greeting: { first: `hello from first ${runId}`, second: "hello from second" },
      hostPort: firstPort,
    };
    stack = await openLabStack({ stackName, projectName, backendDir, program, pulumiHome });
  });

  afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    await removeLabStack({ stackName, projectName, backendDir, pulumiHome }).catch(() => undefined);
    for (const leftover of await containersOfThisRun()) {
      await engine.getContainer(leftover.Id).remove({ force: true });
    }
    for (const leftover of await networksOfThisRun()) {
      await engine.getNetwork(leftover.Id).remove();
    }
    for (const leftover of await volumesOfThisRun()) {
      await engine.getVolume(leftover.Name).remove();
    }
    if (backendDir) fs.rmSync(backendDir, { recursive: true, force: true });
  });

  let ids: { first: string; second: string; network: string };
  const statePath = () => path.join(backendDir, ".pulumi", "stacks", projectName, `${stackName}.json`);

  it("up creates the network and containers exactly as declared", async () => {
    const result = await stack.up();
    expect(changesOf(result.summary)).toEqual({ create: 6 }); // stack, image, network, volume, two containers
    ids = {
      first: result.outputs.firstId.value,
      second: result.outputs.secondId.value,
      network: result.outputs.networkId.value,
    };

    const network = await engine.getNetwork(ids.network).inspect();
    expect(network.Name).toBe(`${prefix}-net`);
    expect(network.Labels).toEqual({ [runLabel]: runId });
    const volume = await engine.getVolume(`${prefix}-data`).inspect();
    expect(volume.Labels).toEqual({ [runLabel]: runId });

    for (const node of ["first", "second"] as const) {
      const live = await engine.getContainer(`${prefix}-${node}`).inspect();
      expect(live.Id).toBe(ids[node]);
      expect(live.Config.Image).toBe(`${testImage}:1`);
      expect(live.Config.Labels).toEqual({ [runLabel]: runId, "vector-ha-lab.role": node });
      expect(live.Config.Env).toContain(`NODE=${node}`);
      expect(live.Config.Cmd).toEqual([startScript]);
      expect(Object.keys(live.NetworkSettings.Networks)).toEqual([`${prefix}-net`]);
      expect(live.NetworkSettings.Networks[`${prefix}-net`].Aliases).toEqual(
        expect.arrayContaining([`${node}-alias`, "shared-alias"]),
      );
      expect(live.Config.Healthcheck).toEqual({
        Test: ["CMD", "/bin/wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${servicePort}/index.html`],
        Interval: 500e6,
        Timeout: 2e9,
        Retries: 3,
      });
      expect(live.State.Health?.Status).toBe("healthy"); // wait: true
      const bindings = live.HostConfig.PortBindings[`${servicePort}/tcp`];
      expect(bindings).toHaveLength(1);
      expect(bindings[0].HostIp).toBe("127.0.0.1");
      expect(bindings[0].HostPort).toBe(node === "first" ? String(firstPort) : "");
      const volumeMounts = live.Mounts.filter((m) => m.Type === "volume").map((m) => [
        m.Name,
        m.Destination,
        m.RW,
      ]);
      expect(volumeMounts).toEqual(node === "first" ? [[`${prefix}-data`, dataPath, true]] : []);
      const upload = await execIn(`${prefix}-${node}`, ["/bin/stat", "-c", "%a", startScript]);
      expect(upload.output.trim()).toBe("744"); // executable upload
      const page = await execIn(`${prefix}-${node}`, ["/bin/stat", "-c", "%a", `${servedDir}/index.html`]);
      expect(page.output.trim()).toBe("440"); // upload with permissions
    }
    expect(await httpGet(firstPort, "/index.html")).toBe(`${wanted.greeting.first}\n`);
    // The aliases resolve through Docker's DNS on the network, from the other container.
    const viaAlias = await execIn(`${prefix}-second`, [
      "/bin/wget",
      "-q",
      "-O",
      "-",
      `http://first-alias:${servicePort}/`,
    ]);
    expect(viaAlias.output).toBe(`${wanted.greeting.first}\n`);
  });

  it("puts the uploads in place before the entrypoint runs", async () => {
    // The command is itself an upload, and it prints the other upload as its first act.
    expect(await containerLogs(`${prefix}-first`)).toContain(`start: ${wanted.greeting.first}\n`);
    expect(await containerLogs(`${prefix}-second`)).toContain(`start: ${wanted.greeting.second}\n`);
  });

  it("keeps a secret upload secret in the stored state", () => {
    const state = fs.readFileSync(statePath(), "utf8");
    expect(state).not.toContain(wanted.greeting.first);
    expect(state).toContain("ciphertext");
  });

  it("reports no changes when the inputs are unchanged", async () => {
    const preview = await stack.preview();
    expect(changesOf({ resourceChanges: preview.changeSummary })).toEqual({});
    const result = await stack.up();
    expect(changesOf(result.summary)).toEqual({});
    expect(result.outputs.firstId.value).toBe(ids.first);
  });

  it("rejects an input field it does not implement, naming it", async () => {
    wanted.expectFailure = true;
    wanted.extraContainerArgs = { privileged: true };
    await expect(stack.preview()).rejects.toThrow(
      /does not implement docker:index\/container:Container input "privileged"/,
    );
    wanted.extraContainerArgs = { uploads: [{ file: "/x", content: "x", owner: "nobody" }] };
    await expect(stack.preview()).rejects.toThrow(/input "uploads\[0\]\.owner"/);
    delete wanted.extraContainerArgs;
    delete wanted.expectFailure;
  });

  it("rejects a resource type it does not implement, naming it", async () => {
    wanted.withUnimplementedType = true;
    wanted.expectFailure = true;
    await expect(stack.preview()).rejects.toThrow(/does not implement resource type docker:index\/tag:Tag/);
    delete wanted.withUnimplementedType;
    delete wanted.expectFailure;
  });

  it("rejects a provider setting it does not implement, naming it", async () => {
    wanted.expectFailure = true;
    const configured = await openLabStack({
      stackName,
      projectName,
      backendDir,
      program,
      pulumiHome,
      config: { "docker:host": "unix:///var/run/docker.sock" },
    });
    await expect(configured.preview()).rejects.toThrow(
      /implements no provider settings.*Remove: docker:host/,
    );
    stack = await openLabStack({ stackName, projectName, backendDir, program, pulumiHome });
    delete wanted.expectFailure;
  });

  it("says clearly when an image is absent and cannot be pulled", async () => {
    wanted.withAbsentImage = true;
    wanted.expectFailure = true;
    await expect(stack.up()).rejects.toThrow(
      /image 127\.0\.0\.1:1\/vector-ha-lab\/absent:1 is not in the local engine and cannot be pulled: /,
    );
    delete wanted.withAbsentImage;
    delete wanted.expectFailure;
  });

  it("fails an up whose container never becomes healthy, and removes that container on the next up", async () => {
    wanted.withUnhealthy = true;
    wanted.expectFailure = true;
    await expect(stack.up()).rejects.toThrow(
      /container \S+-unhealthy became unhealthy: last probe exit code 1/,
    );
    delete wanted.withUnhealthy;
    delete wanted.expectFailure;
    // The failed container is in the state (the next up deletes it), its secret upload encrypted.
    const state = fs.readFileSync(statePath(), "utf8");
    expect(state).toContain(`${prefix}-unhealthy`);
    expect(state).not.toContain(unhealthySecret);
    const result = await stack.up();
    expect(changesOf(result.summary)).toEqual({ delete: 1 });
    expect((await containersOfThisRun()).map((c) => c.Names[0])).not.toContain(`/${prefix}-unhealthy`);
  });

  it("updates the restart policy in place: same container", async () => {
    wanted.extraContainerArgs = { restart: "unless-stopped" };
    const result = await stack.up();
    expect(changesOf(result.summary)).toEqual({ update: 1 });
    expect(result.outputs.firstId.value).toBe(ids.first);
    expect((await engine.getContainer(ids.first).inspect()).HostConfig.RestartPolicy?.Name).toBe(
      "unless-stopped",
    );
  });

  it("replaces a container whose upload changed, and only that one", async () => {
    wanted.greeting.first = `hello again from first ${runId}`;
    const result = await stack.up();
    expect(changesOf(result.summary)).toEqual({ replace: 1 });
    expect(result.outputs.firstId.value).not.toBe(ids.first);
    expect(result.outputs.secondId.value).toBe(ids.second);
    expect(await containerExists(ids.first)).toBe(false);
    expect(await httpGet(firstPort, "/index.html")).toBe(`${wanted.greeting.first}\n`);
    expect(await containerLogs(`${prefix}-first`)).toContain(`start: ${wanted.greeting.first}\n`);
    ids.first = result.outputs.firstId.value;
  });

  it("replaces the containers when their image changes (a new tag of the same image id too)", async () => {
    wanted.imageTag = "2";
    const result = await stack.up();
    expect(changesOf(result.summary)).toEqual({ replace: 3 }); // the RemoteImage and both containers
    for (const node of ["first", "second"] as const) {
      expect(result.outputs[`${node}Id`].value).not.toBe(ids[node]);
      expect(await containerExists(ids[node])).toBe(false);
      expect((await engine.getContainer(`${prefix}-${node}`).inspect()).Config.Image).toBe(`${testImage}:2`);
      ids[node] = result.outputs[`${node}Id`].value;
    }
    // keepLocally: the replaced RemoteImage left the old tag in place.
    await expect(engine.getImage(`${testImage}:1`).inspect()).resolves.toBeDefined();
  });

  it("sees a container removed outside Pulumi as gone on refresh, and up recreates it", async () => {
    await engine.getContainer(ids.second).remove({ force: true });
    const refresh = await stack.refresh();
    expect(changesOf(refresh.summary)).toEqual({ delete: 1 });
    const state = await stack.exportStack();
    const types = state.deployment.resources.map((r: { urn: string }) => r.urn.split("::").pop());
    expect(types).not.toContain("second");

    const result = await stack.up();
    expect(changesOf(result.summary)).toEqual({ create: 1 });
    const recreated = await engine.getContainer(`${prefix}-second`).inspect();
    expect(recreated.Id).toBe(result.outputs.secondId.value);
    expect(recreated.State.Health?.Status).toBe("healthy");
  });

  it("destroy leaves no container or network of this run", async () => {
    const result = await stack.destroy();
    expect(changesOf(result.summary)).toEqual({ delete: 6 });
    expect(await containersOfThisRun()).toEqual([]);
    expect(await networksOfThisRun()).toEqual([]);
    expect(await volumesOfThisRun()).toEqual([]);
    // keepLocally: the image stays for the next run.
    await expect(engine.getImage(`${testImage}:2`).inspect()).resolves.toBeDefined();
  });
});

describe("docker stand-in plugin: check and diff (no engine needed)", () => {
  const provider = new DockerStandinProvider();
  const urn = (type: string, name: string) => `urn:pulumi:s::p::docker:index/${type}::${name}`;
  const containerUrn = urn("container:Container", "web");
  const base = { name: "web-1", image: "img:1", restart: "no", mustRun: true, wait: false, waitTimeout: 60 };

  it("names an unnamed object like Pulumi's auto-naming, keeps that name, and replaces it create-first", async () => {
    const created = await provider.check(urn("network:Network", "net"), {}, {});
    expect(created.inputs.name).toMatch(/^net-[0-9a-f]{7}$/);
    const again = await provider.check(urn("network:Network", "net"), created.inputs, { labels: [] });
    expect(again.inputs.name).toBe(created.inputs.name);
    const diff = await provider.diff("id", urn("network:Network", "net"), created.inputs, {
      ...again.inputs,
      labels: [{ label: "a", value: "b" }],
    });
    expect(diff).toMatchObject({ changes: true, replaces: ["labels"], deleteBeforeReplace: false });
  });

  it("fills the real provider's defaults and deletes a named container before replacing it", async () => {
    const checked = await provider.check(containerUrn, {}, { name: "web-1", image: "img:1" });
    expect(checked.failures).toEqual([]);
    expect(checked.inputs).toEqual(base);
    const diff = await provider.diff("id", containerUrn, base, { ...base, image: "img:2" });
    expect(diff).toMatchObject({ changes: true, replaces: ["image"], deleteBeforeReplace: true });
  });

  it("updates restart in place and replaces on a healthcheck change (a deliberate difference)", async () => {
    expect(await provider.diff("id", containerUrn, base, { ...base, restart: "always" })).toMatchObject({
      changes: true,
      replaces: [],
    });
    const healthcheck = { tests: ["CMD", "true"], interval: "1s" };
    const diff = await provider.diff(
      "id",
      containerUrn,
      { ...base, healthcheck },
      { ...base, healthcheck: { ...healthcheck, interval: "2s" } },
    );
    expect(diff.replaces).toEqual(["healthcheck"]);
  });

  it("sees no change in a host port Docker chose, in set order, or in a secret's wrapper", async () => {
    const secret = (value: string) => ({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value,
    });
    const olds = {
      ...base,
      ports: [{ internal: 80, external: 32768, ip: "0.0.0.0", protocol: "tcp" }],
      labels: [
        { label: "a", value: "1" },
        { label: "b", value: "2" },
      ],
      uploads: [{ file: "/k", content: secret("key") }],
    };
    const news = {
      ...base,
      ports: [{ internal: 80 }],
      labels: [
        { label: "b", value: "2" },
        { label: "a", value: "1" },
      ],
      uploads: secret([{ file: "/k", content: "key" }] as unknown as string),
    };
    expect(await provider.diff("id", containerUrn, olds, news)).toMatchObject({
      changes: false,
      replaces: [],
    });
    const movedPort = { ...news, ports: [{ internal: 80, external: 8080 }] };
    expect((await provider.diff("id", containerUrn, olds, movedPort)).replaces).toEqual(["ports"]);
  });

  it("plans a replace when a replacing input is unknown during preview", async () => {
    const diff = await provider.diff("id", containerUrn, base, {
      ...base,
      image: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    });
    expect(diff.replaces).toEqual(["image"]);
  });

  it("names every input it does not implement, nested ones too", async () => {
    const checked = await provider.check(
      containerUrn,
      {},
      {
        image: "img:1",
        privileged: true,
        healthcheck: { tests: ["CMD", "true"], startInterval: "1s" },
        ports: [{ internal: 80, protocol: "quic" }],
      },
    );
    expect(checked.failures?.map((f) => f.property).sort()).toEqual([
      "healthcheck.startInterval",
      "ports[0].protocol",
      "privileged",
    ]);
  });
});
