/**
 * The lifecycle benchmark's replicas of the lab: from `docker inspect` of the lab's containers to a
 * compose file and a docker CLI script that start the same containers under other names. The script is
 * run for real by bash, against a fake `docker` that records its arguments.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { labelKeys } from "../../components/constants";
import { composeActions, composeYaml } from "../../scripts/bench/composeFile";
import {
  containerSpecFromInspect,
  type InspectedContainer,
  type InspectedImage,
} from "../../scripts/bench/containerSpec";
import { downScript, removeScript, upScript } from "../../scripts/bench/dockerScript";
import { replicaPlan, volumesOnlyOf, withoutContainers } from "../../scripts/bench/replicaPlan";

const labPrefix = "vector-ha-lab-bench-x-1a2b";
const network = `${labPrefix}-network`;
const poolAlias = `${labPrefix}-aggregators`;
const balancerAlias = `${labPrefix}-balancer`;
const seconds = (s: number) => s * 1e9;

const vectorImage: InspectedImage = {
  Id: "sha256:1111",
  RepoTags: ["example/vector:0.57.0-debian"],
  Config: {
    Env: ["PATH=/usr/local/bin:/usr/bin"],
    Entrypoint: ["/usr/bin/vector"],
    Cmd: null,
    Labels: { "example.built-by": "build-images" },
  },
};
const haproxyImage: InspectedImage = {
  Id: "sha256:2222",
  RepoTags: ["example/haproxy:2.6"],
  Config: {
    Env: ["PATH=/usr/bin"],
    Entrypoint: ["docker-entrypoint.sh"],
    Cmd: ["haproxy", "-f", "/etc/h.cfg"],
  },
};

function inspected(
  name: string,
  role: string,
  image: string,
  more: Partial<InspectedContainer["Config"]> = {},
  host: Partial<InspectedContainer["HostConfig"]> = {},
  mounts: InspectedContainer["Mounts"] = [],
  aliases: string[] | null = null,
): InspectedContainer {
  const id = `${name.length.toString(16).padStart(4, "0")}abcdef0123456789`;
  return {
    Id: id,
    Name: `/${name}`,
    Config: {
      Hostname: name,
      Image: image,
      Env: ["PATH=/usr/local/bin:/usr/bin"],
      Entrypoint: ["/usr/bin/vector"],
      Cmd: null,
      Labels: {
        "example.built-by": "build-images",
        [labelKeys.project]: "vector-ha-lab",
        [labelKeys.stack]: "bench-x-1a2b",
        [labelKeys.role]: role,
      },
      ...more,
    },
    HostConfig: {
      NetworkMode: network,
      PortBindings: {},
      RestartPolicy: { Name: "unless-stopped" },
      ...host,
    },
    Mounts: mounts,
    NetworkSettings: {
      Networks:
        host.NetworkMode === "none"
          ? { none: { Aliases: null } }
          : { [network]: { Aliases: [...(aliases ?? []), id.slice(0, 12)] } },
    },
  };
}

const dataVolume = (container: string) => ({
  Type: "volume",
  Name: `${container}-data`,
  Source: `/var/lib/docker/volumes/${container}-data/_data`,
  Destination: "/var/lib/vector",
  RW: true,
});

const aggregator = (index: number) =>
  inspected(
    `${labPrefix}-aggregator-${index}`,
    "aggregator",
    "sha256:1111",
    {
      Env: ["OPENSSL_CONF=/etc/vector/openssl.cnf", "PATH=/usr/local/bin:/usr/bin"],
      Healthcheck: {
        Test: ["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8686 && head -n 1 <&3 | grep -q ' 200 '"],
        Interval: seconds(2),
        Timeout: seconds(2),
        StartPeriod: seconds(5),
        Retries: 3,
      },
    },
    {},
    [dataVolume(`${labPrefix}-aggregator-${index}`)],
    [poolAlias],
  );
const haproxy = inspected(
  `${labPrefix}-haproxy`,
  "haproxy",
  "example/haproxy:2.6",
  { Env: ["PATH=/usr/bin"], Entrypoint: ["docker-entrypoint.sh"], Cmd: ["haproxy", "-f", "/etc/h.cfg"] },
  {
    PortBindings: {
      "21001/tcp": [{ HostIp: "127.0.0.1", HostPort: "21001" }],
      "21003/tcp": [{ HostIp: "127.0.0.1", HostPort: "21003" }],
    },
  },
  [],
  [balancerAlias],
);
/** A demo app's script, with what bash and compose both treat specially. */
const demoScript = `i=0; while true; do i=$((i+1)); echo "$i it's \${HOSTNAME}" >> /var/log/demo-app/app.log; sleep 1; done`;
const demoApp = inspected(
  `${labPrefix}-demo-app-0`,
  "demo-app",
  "sha256:1111",
  { Entrypoint: ["bash", "-c", demoScript], Cmd: null },
  { NetworkMode: "none" },
  [
    {
      Type: "volume",
      Name: `${labPrefix}-demo-app-0-logs`,
      Source: "/x",
      Destination: "/var/log/demo-app",
      RW: true,
    },
  ],
);
const agent = inspected(`${labPrefix}-agent-0`, "agent", "sha256:1111", {}, {}, [
  dataVolume(`${labPrefix}-agent-0`),
  {
    Type: "volume",
    Name: `${labPrefix}-demo-app-0-logs`,
    Source: "/x",
    Destination: "/var/log/demo-app",
    RW: false,
  },
]);

const images: Record<string, InspectedImage> = {
  "sha256:1111": vectorImage,
  "example/haproxy:2.6": haproxyImage,
};
// Out of order on purpose: the plan starts them in the lab's order.
const labSpecs = [agent, demoApp, haproxy, aggregator(2), aggregator(0), aggregator(1)].map((c) =>
  containerSpecFromInspect(c, images[c.Config.Image]),
);
const filesDir = "/tmp/vhl-test/files";
const prefix = "vhl-compose-1a2b";
const full = replicaPlan(labSpecs, { labPrefix, prefix, filesDir, initialAggregators: 2 });
const base = withoutContainers(full, [`${prefix}-aggregator-2`]);
const byName = (name: string) => full.containers.find((c) => c.name === `${prefix}-${name}`)!;

describe("a container spec from docker inspect", () => {
  const [agg0] = labSpecs.filter((s) => s.name.endsWith("aggregator-0"));

  it("keeps what the lab set and drops what the image or Docker added", () => {
    expect(agg0.env).toEqual(["OPENSSL_CONF=/etc/vector/openssl.cnf"]);
    expect(agg0.labels).toEqual({
      [labelKeys.project]: "vector-ha-lab",
      [labelKeys.stack]: "bench-x-1a2b",
      [labelKeys.role]: "aggregator",
    });
    expect(agg0.network).toEqual({ name: network, aliases: [poolAlias] });
    expect(agg0.entrypoint).toBeUndefined();
    expect(agg0.command).toBeUndefined();
    expect(agg0.restart).toBe("unless-stopped");
  });

  it("names an image given by id by its tag", () => {
    expect(agg0.image).toBe("example/vector:0.57.0-debian");
    const untagged = containerSpecFromInspect(aggregator(0), { ...vectorImage, RepoTags: [] });
    expect(untagged.image).toBe("sha256:1111");
  });

  it("reads the health check's durations in milliseconds", () => {
    expect(agg0.healthcheck).toMatchObject({
      intervalMs: 2000,
      timeoutMs: 2000,
      startPeriodMs: 5000,
      retries: 3,
    });
  });

  it("keeps an overridden entrypoint, and a command only where it differs from the image's", () => {
    const app = labSpecs.find((s) => s.name.endsWith("demo-app-0"))!;
    expect(app.entrypoint).toEqual(["bash", "-c", demoScript]);
    expect(app.command).toBeUndefined();
    expect(app.network).toBeUndefined();
    const proxy = labSpecs.find((s) => s.name.endsWith("haproxy"))!;
    expect(proxy.entrypoint).toBeUndefined();
    expect(proxy.command).toBeUndefined();
    const otherCommand = containerSpecFromInspect(
      { ...haproxy, Config: { ...haproxy.Config, Cmd: ["haproxy", "-W"] } },
      haproxyImage,
    );
    expect(otherCommand.command).toEqual(["haproxy", "-W"]);
  });

  it("refuses a container on two networks, naming it", () => {
    const twoNetworks = aggregator(0);
    twoNetworks.NetworkSettings.Networks = { a: { Aliases: null }, b: { Aliases: null } };
    expect(() => containerSpecFromInspect(twoNetworks, vectorImage)).toThrow(/aggregator-0 is on 2 networks/);
  });
});

describe("a replica plan", () => {
  it("starts aggregators, the balancer, demo apps, then agents, under the new prefix", () => {
    expect(full.containers.map((c) => c.name.slice(prefix.length + 1))).toEqual([
      "aggregator-0",
      "aggregator-1",
      "aggregator-2",
      "haproxy",
      "demo-app-0",
      "agent-0",
    ]);
    expect(full.network.name).toBe(`${prefix}-network`);
    expect(byName("agent-0").volumes.map((v) => v.source)).toEqual([
      `${prefix}-agent-0-data`,
      `${prefix}-demo-app-0-logs`,
    ]);
  });

  it("keeps the lab's aliases, which HAProxy, agents and certificates rely on", () => {
    expect(byName("aggregator-1").network?.aliases).toEqual([poolAlias]);
    expect(byName("haproxy").network?.aliases).toEqual([balancerAlias]);
    expect(byName("aggregator-1").network?.name).toBe(`${prefix}-network`);
  });

  it("gives every object its own stack label, never the lab's", () => {
    for (const labels of [
      ...full.containers.map((c) => c.labels),
      full.network.labels,
      ...full.volumes.map((v) => v.labels),
    ]) {
      expect(labels[labelKeys.stack]).toBe(prefix);
    }
  });

  it("mounts each Vector container's and HAProxy's copied files read-only where the lab uploaded them", () => {
    expect(byName("aggregator-0").binds).toEqual([
      { source: path.join(filesDir, "aggregator-0"), target: "/etc/vector", readOnly: true },
    ]);
    expect(byName("haproxy").binds).toEqual([
      { source: path.join(filesDir, "haproxy"), target: "/usr/local/etc/haproxy", readOnly: true },
    ]);
    expect(byName("demo-app-0").binds).toEqual([]);
  });

  it("has the balancer wait for the starting aggregators and the agents for the balancer", () => {
    expect(byName("haproxy").startsAfter).toEqual([`${prefix}-aggregator-0`, `${prefix}-aggregator-1`]);
    expect(byName("agent-0").startsAfter).toEqual([`${prefix}-haproxy`]);
  });

  it("drops a container with the volumes only it used", () => {
    expect(base.containers).toHaveLength(5);
    expect(base.volumes.map((v) => v.name)).not.toContain(`${prefix}-aggregator-2-data`);
    expect(volumesOnlyOf(full, [`${prefix}-aggregator-2`])).toEqual([`${prefix}-aggregator-2-data`]);
    expect(volumesOnlyOf(full, [`${prefix}-agent-0`])).toEqual([`${prefix}-agent-0-data`]);
  });
});

describe("the compose file", () => {
  const file = parse(composeYaml(full)) as {
    services: Record<string, Record<string, unknown>>;
    networks: Record<string, { name: string }>;
    volumes: Record<string, { name: string }>;
  };
  const unescape = (value: unknown): unknown =>
    typeof value === "string"
      ? value.replace(/\$\$/g, "$")
      : Array.isArray(value)
        ? value.map(unescape)
        : value;

  it("runs each container by its name and image", () => {
    expect(file.services["aggregator-0"]).toMatchObject({
      container_name: `${prefix}-aggregator-0`,
      image: "example/vector:0.57.0-debian",
      restart: "unless-stopped",
      environment: ["OPENSSL_CONF=/etc/vector/openssl.cnf"],
    });
    expect(file.services.haproxy.image).toBe("example/haproxy:2.6");
  });

  it("publishes the balancer's ports on the bind address only, and nothing else's", () => {
    expect(file.services.haproxy.ports).toEqual(["127.0.0.1:21001:21001/tcp", "127.0.0.1:21003:21003/tcp"]);
    for (const [name, service] of Object.entries(file.services)) {
      if (name !== "haproxy") expect(service.ports).toBeUndefined();
    }
  });

  it("puts the aggregators on the named network with the pool's alias", () => {
    expect(file.networks.lab.name).toBe(`${prefix}-network`);
    expect(file.services["aggregator-2"].networks).toEqual({ lab: { aliases: [poolAlias] } });
    expect(file.services["demo-app-0"].network_mode).toBe("none");
  });

  it("mounts named volumes and the copied files, read-only where the lab has it", () => {
    expect(file.services["agent-0"].volumes).toEqual([
      "agent-0-data:/var/lib/vector",
      "demo-app-0-logs:/var/log/demo-app:ro",
      `${path.join(filesDir, "agent-0")}:/etc/vector:ro`,
    ]);
    expect(file.volumes["demo-app-0-logs"].name).toBe(`${prefix}-demo-app-0-logs`);
  });

  it("keeps every $ literal from compose's interpolation", () => {
    const entrypoint = file.services["demo-app-0"].entrypoint as string[];
    expect(entrypoint.join(" ")).not.toMatch(/(^|[^$])\$([^$]|$)/);
    expect(unescape(entrypoint)).toEqual(["bash", "-c", demoScript]);
  });

  it("has the balancer depend on the starting aggregators only, so adding one leaves it alone", () => {
    expect(file.services.haproxy.depends_on).toEqual(["aggregator-0", "aggregator-1"]);
    const smaller = parse(composeYaml(base)) as typeof file;
    expect(smaller.services.haproxy).toEqual(file.services.haproxy);
    expect(smaller.services["aggregator-2"]).toBeUndefined();
  });

  it("reads what docker-compose up did from its progress lines", () => {
    const output = [
      `Creating network "${prefix}-network" with the default driver`,
      `Creating volume "${prefix}-aggregator-2-data" with default driver`,
      `${prefix}-aggregator-0 is up-to-date`,
      `Recreating ${prefix}-haproxy ... `,
      `Creating ${prefix}-aggregator-2 ... `,
      `Recreating ${prefix}-haproxy ... done`,
      `Creating ${prefix}-aggregator-2 ... done`,
    ].join("\n");
    expect(composeActions(output)).toEqual({
      creating: [`${prefix}-aggregator-2`],
      recreating: [`${prefix}-haproxy`],
      "up-to-date": [`${prefix}-aggregator-0`],
    });
  });
});

describe("the docker CLI scripts, run by bash against a fake docker", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-replica-"));
    // Records each call's arguments (NUL after each, RS after the call); `... inspect` exits with
    // $FAKE_INSPECT_EXIT.
    fs.writeFileSync(
      path.join(dir, "docker"),
      [
        "#!/usr/bin/env bash",
        `{ printf '%s\\0' "$@"; printf '\\036'; } >>"$FAKE_DOCKER_LOG"`,
        `if [ "\${2:-}" = inspect ]; then exit "$FAKE_INSPECT_EXIT"; fi`,
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function runScript(text: string, inspectExit: number): string[][] {
    const log = path.join(dir, `calls-${Math.random()}.jsonl`);
    fs.writeFileSync(path.join(dir, "script.sh"), text);
    execFileSync("bash", [path.join(dir, "script.sh")], {
      env: {
        ...process.env,
        PATH: `${dir}:${process.env.PATH}`,
        FAKE_DOCKER_LOG: log,
        FAKE_INSPECT_EXIT: String(inspectExit),
      },
    });
    return fs.existsSync(log)
      ? fs
          .readFileSync(log, "utf8")
          .split("\x1e")
          .filter(Boolean)
          .map((call) => call.split("\0").slice(0, -1))
      : [];
  }
  const runOf = (calls: string[][], name: string) =>
    calls.find((c) => c[0] === "run" && c[c.indexOf("--name") + 1] === `${prefix}-${name}`)!;
  const flagValues = (call: string[], flag: string) =>
    call.flatMap((word, i) => (word === flag ? [call[i + 1]] : []));

  it("creates the network, the volumes and every container in start order when nothing exists", () => {
    const calls = runScript(upScript(full), 1);
    const created = calls.filter((c) => c[1] === "create" || c[0] === "run");
    expect(created[0]).toEqual(expect.arrayContaining(["network", "create", `${prefix}-network`]));
    expect(created.filter((c) => c[0] === "volume").map((c) => c[c.length - 1])).toEqual(
      full.volumes.map((v) => v.name),
    );
    expect(created.filter((c) => c[0] === "run").map((c) => c[c.indexOf("--name") + 1])).toEqual(
      full.containers.map((c) => c.name),
    );
  });

  it("passes image, published ports, alias, mounts and health check to docker run", () => {
    const calls = runScript(upScript(full), 1);
    const proxy = runOf(calls, "haproxy");
    expect(proxy[proxy.length - 1]).toBe("example/haproxy:2.6");
    expect(flagValues(proxy, "-p")).toEqual(["127.0.0.1:21001:21001/tcp", "127.0.0.1:21003:21003/tcp"]);
    expect(flagValues(proxy, "--network-alias")).toEqual([balancerAlias]);
    const agentRun = runOf(calls, "agent-0");
    expect(flagValues(agentRun, "-p")).toEqual([]);
    expect(flagValues(agentRun, "-v")).toEqual([
      `${prefix}-agent-0-data:/var/lib/vector`,
      `${prefix}-demo-app-0-logs:/var/log/demo-app:ro`,
      `${path.join(filesDir, "agent-0")}:/etc/vector:ro`,
    ]);
    const agg = runOf(calls, "aggregator-0");
    expect(flagValues(agg, "--network")).toEqual([`${prefix}-network`]);
    expect(flagValues(agg, "--network-alias")).toEqual([poolAlias]);
    expect(flagValues(agg, "-e")).toEqual(["OPENSSL_CONF=/etc/vector/openssl.cnf"]);
    expect(flagValues(agg, "--health-interval")).toEqual(["2000ms"]);
    // The shell the health check runs in gets back the lab's exact words.
    const healthCmd = flagValues(agg, "--health-cmd")[0];
    const words = execFileSync("bash", ["-c", `printf '%s\\0' ${healthCmd}`], { encoding: "utf8" });
    expect(words.split("\0").slice(0, -1)).toEqual(aggregator(0).Config.Healthcheck!.Test.slice(1));
  });

  it("hands the demo app's script to its entrypoint unchanged", () => {
    const app = runOf(runScript(upScript(full), 1), "demo-app-0");
    expect(flagValues(app, "--entrypoint")).toEqual(["bash"]);
    expect(flagValues(app, "--network")).toEqual(["none"]);
    const image = app.indexOf("example/vector:0.57.0-debian");
    expect(app.slice(image + 1)).toEqual(["-c", demoScript]);
  });

  it("creates nothing when everything exists (a no-op up)", () => {
    const calls = runScript(upScript(full), 0);
    expect(calls.every((c) => c[1] === "inspect")).toBe(true);
    expect(calls).toHaveLength(1 + full.volumes.length + full.containers.length);
  });

  it("removes one aggregator with its volume, and everything on down", () => {
    expect(runScript(removeScript([`${prefix}-aggregator-2`], [`${prefix}-aggregator-2-data`]), 0)).toEqual([
      ["rm", "-f", `${prefix}-aggregator-2`],
      ["volume", "rm", `${prefix}-aggregator-2-data`],
    ]);
    const down = runScript(downScript(base), 0);
    expect(down[0]).toEqual(["rm", "-f", ...base.containers.map((c) => c.name)]);
    expect(down[1]).toEqual(["volume", "rm", ...base.volumes.map((v) => v.name)]);
    expect(down[2]).toEqual(["network", "rm", `${prefix}-network`]);
  });
});
