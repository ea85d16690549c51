/**
 * Plain bash scripts of docker CLI commands that start and remove a replica plan, as a person without
 * a tool would write them: `docker network create`, `docker volume create`, `docker run -d`, each only
 * when its object is missing, so running the start script again is a no-op up and running it after
 * adding a container starts only that one. Pure: returns the scripts' text.
 * Reference: https://docs.docker.com/reference/cli/docker/container/run/
 */
import type { ContainerSpec } from "./containerSpec";
import type { ReplicaPlan } from "./replicaPlan";

/** One word for bash, single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const line = (words: string[]): string => words.map(shellWord).join(" ");

const labelFlags = (labels: Record<string, string>): string[] =>
  Object.entries(labels).flatMap(([key, value]) => ["--label", `${key}=${value}`]);

const mountFlag = (source: string, target: string, readOnly: boolean): string[] => [
  "-v",
  `${source}:${target}${readOnly ? ":ro" : ""}`,
];

/**
 * `docker run` has no exec form for a health check: `--health-cmd` is run by the image's shell
 * (CMD-SHELL). An exec-form test is given as the same words, quoted for that shell.
 */
function healthFlags(spec: ContainerSpec): string[] {
  const health = spec.healthcheck;
  if (!health) return [];
  if (health.test[0] === "NONE") return ["--no-healthcheck"];
  const command = health.test[0] === "CMD-SHELL" ? health.test[1] : line(health.test.slice(1));
  return [
    "--health-cmd",
    command,
    ...(health.intervalMs !== undefined ? ["--health-interval", `${health.intervalMs}ms`] : []),
    ...(health.timeoutMs !== undefined ? ["--health-timeout", `${health.timeoutMs}ms`] : []),
    ...(health.startPeriodMs !== undefined ? ["--health-start-period", `${health.startPeriodMs}ms`] : []),
    ...(health.retries !== undefined ? ["--health-retries", String(health.retries)] : []),
  ];
}

/** The `docker run -d` words that start this container. */
export function dockerRunWords(spec: ContainerSpec): string[] {
  // --entrypoint takes the executable only; the rest of the entrypoint goes before the command.
  const [entrypoint, ...entrypointArgs] = spec.entrypoint ?? [];
  return [
    "docker",
    "run",
    "-d",
    "--name",
    spec.name,
    "--hostname",
    spec.hostname,
    "--restart",
    spec.restart,
    ...labelFlags(spec.labels),
    ...(spec.network
      ? [
          "--network",
          spec.network.name,
          ...spec.network.aliases.flatMap((alias) => ["--network-alias", alias]),
        ]
      : ["--network", "none"]),
    ...spec.ports.flatMap((p) => ["-p", `${p.hostIp}:${p.hostPort}:${p.containerPort}/${p.protocol}`]),
    ...spec.volumes.flatMap((v) => mountFlag(v.source, v.target, v.readOnly)),
    ...spec.binds.flatMap((b) => mountFlag(b.source, b.target, b.readOnly)),
    ...spec.env.flatMap((entry) => ["-e", entry]),
    ...healthFlags(spec),
    ...(entrypoint !== undefined ? ["--entrypoint", entrypoint] : []),
    spec.image,
    ...entrypointArgs,
    ...(spec.command ?? []),
  ];
}

const header = (what: string): string[] => [
  "#!/usr/bin/env bash",
  `# Written by npm run bench (lifecycle): ${what}.`,
  "set -euo pipefail",
];

/** Creates what is missing of the plan: its network, its volumes, then its containers in order. */
export function upScript(plan: ReplicaPlan): string {
  const ifMissing = (inspect: string[], create: string[]): string =>
    `${line(inspect)} >/dev/null 2>&1 || ${line(create)} >/dev/null`;
  return [
    ...header(`starts ${plan.prefix}, creating only what is missing`),
    ifMissing(
      ["docker", "network", "inspect", plan.network.name],
      ["docker", "network", "create", ...labelFlags(plan.network.labels), plan.network.name],
    ),
    ...plan.volumes.map((v) =>
      ifMissing(
        ["docker", "volume", "inspect", v.name],
        ["docker", "volume", "create", ...labelFlags(v.labels), v.name],
      ),
    ),
    ...plan.containers.map((c) => ifMissing(["docker", "container", "inspect", c.name], dockerRunWords(c))),
    "",
  ].join("\n");
}

/** Removes these containers (killed: `rm -f`), then these volumes, then the network if asked. */
export function removeScript(containers: string[], volumes: string[], network?: string): string {
  return [
    ...header(`removes ${containers.length} container(s)${network ? ` and network ${network}` : ""}`),
    ...(containers.length > 0 ? [`${line(["docker", "rm", "-f", ...containers])} >/dev/null`] : []),
    ...(volumes.length > 0 ? [`${line(["docker", "volume", "rm", ...volumes])} >/dev/null`] : []),
    ...(network ? [`${line(["docker", "network", "rm", network])} >/dev/null`] : []),
    "",
  ].join("\n");
}

/** Removes everything of the plan. */
export function downScript(plan: ReplicaPlan): string {
  return removeScript(
    plan.containers.map((c) => c.name),
    plan.volumes.map((v) => v.name),
    plan.network.name,
  );
}
