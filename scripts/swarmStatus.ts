/**
 * What `npm run lab -- status` shows on the swarm target: per node, which of the lab's tasks run there,
 * and each balancer's own view of the aggregators (its stats page on its node's published port). All
 * through the manager's Docker API (`dockerHost`), so it works on real hosts as on the local cluster.
 */
import { execFileSync } from "child_process";
import type { BackendServerStats } from "./haproxyStats";
import { balancerServers, stackLabelFilters } from "./labStatus";

export interface SwarmNode {
  hostname: string;
  /** The address the node advertises to the swarm: where its published ports are. */
  address: string;
  /** ready, down, unknown. */
  state: string;
  role: string;
}

export interface SwarmTask {
  /** `<service>.<slot>` */
  name: string;
  service: string;
  node: string;
  /** Swarm's current state, e.g. "Running 5 minutes ago". */
  state: string;
}

/** The docker CLI against the manager. */
export function managerDocker(dockerHost: string, args: string[]): string {
  const hostArgs = dockerHost === "" ? [] : ["-H", dockerHost];
  return execFileSync("docker", [...hostArgs, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

const jsonLines = <T>(text: string): T[] =>
  text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);

export function swarmNodes(dockerHost: string): SwarmNode[] {
  const ids = managerDocker(dockerHost, ["node", "ls", "-q"]).split("\n").filter(Boolean);
  const inspected = JSON.parse(managerDocker(dockerHost, ["node", "inspect", ...ids])) as {
    Description: { Hostname: string };
    Status: { State: string; Addr: string };
    Spec: { Role: string };
  }[];
  return inspected
    .map((n) => ({
      hostname: n.Description.Hostname,
      address: n.Status.Addr,
      state: n.Status.State,
      role: n.Spec.Role,
    }))
    .sort((a, b) => a.hostname.localeCompare(b.hostname, undefined, { numeric: true }));
}

/** The tasks of `services` that Swarm wants running, with their node. */
export function swarmTasks(dockerHost: string, services: string[]): SwarmTask[] {
  const rows = jsonLines<{ Name: string; Node: string; CurrentState: string }>(
    managerDocker(dockerHost, [
      "service",
      "ps",
      "--filter",
      "desired-state=running",
      "--format",
      "{{json .}}",
      ...services,
    ]),
  );
  return rows.map((row) => ({
    name: row.Name,
    service: row.Name.replace(/\.\d+$/, ""),
    node: row.Node,
    state: row.CurrentState,
  }));
}

/** Every Swarm object carrying the stack's labels, through the manager: what `down` must leave empty. */
export function swarmStackObjects(
  dockerHost: string,
  project: string,
  stack: string,
): Record<string, string[]> {
  const filters = stackLabelFilters(project, stack);
  const list = (...args: string[]): string[] =>
    managerDocker(dockerHost, [...args, ...filters])
      .split("\n")
      .filter(Boolean);
  return {
    services: list("service", "ls", "--format", "{{.Name}}"),
    secrets: list("secret", "ls", "--format", "{{.Name}}"),
    configs: list("config", "ls", "--format", "{{.Name}}"),
    networks: list("network", "ls", "--format", "{{.Name}}"),
  };
}

/** Each balancer's view: its node and its server rows (or why it could not be read). */
export interface BalancerView {
  task: string;
  node: string;
  servers: BackendServerStats[] | Error;
}

/** Reads the stats page of every running balancer task, on its node's address. */
export async function balancerViews(
  nodes: SwarmNode[],
  tasks: SwarmTask[],
  balancerService: string,
  statsPort: number,
): Promise<BalancerView[]> {
  const balancers = tasks.filter((t) => t.service === balancerService && /^Running/.test(t.state));
  return Promise.all(
    balancers.map(async (task) => {
      const node = nodes.find((n) => n.hostname === task.node);
      const servers = node
        ? await balancerServers(`http://${node.address}:${statsPort}/stats`).catch((error: Error) => error)
        : new Error(`node ${task.node} is not in the swarm`);
      return { task: task.name, node: task.node, servers };
    }),
  );
}

/** The status text: nodes with their tasks, then each balancer's view of its servers. */
export function formatSwarmStatus(nodes: SwarmNode[], tasks: SwarmTask[], views: BalancerView[]): string {
  const lines = ["Nodes and the lab's tasks on them:"];
  for (const node of nodes) {
    const here = tasks.filter((t) => t.node === node.hostname);
    lines.push(`  ${node.hostname}  ${node.address}  ${node.role}  ${node.state}`);
    for (const task of here) lines.push(`      ${task.name.padEnd(48)} ${task.state}`);
    if (here.length === 0) lines.push("      (none)");
  }
  const elsewhere = tasks.filter((t) => !nodes.some((n) => n.hostname === t.node));
  for (const task of elsewhere) lines.push(`  not placed: ${task.name} ${task.state}`);
  lines.push("", "HAProxy's view, from each balancer:");
  if (views.length === 0) lines.push("  no balancer is running");
  for (const view of views) {
    lines.push(`  ${view.task} on ${view.node}:`);
    if (view.servers instanceof Error) {
      lines.push(`      stats page not readable: ${view.servers.message}`);
      continue;
    }
    const used = view.servers.filter((s) => s.address !== "" && !/MAINT/.test(s.status));
    for (const server of used) {
      lines.push(
        `      ${server.backend.padEnd(26)} ${server.server.padEnd(14)} ${server.address.padEnd(20)} ${server.status}`,
      );
    }
    if (used.length === 0) lines.push("      no aggregator resolved");
  }
  return lines.join("\n");
}
