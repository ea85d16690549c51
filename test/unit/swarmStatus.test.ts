/**
 * The swarm status text: every node with the lab's tasks on it, tasks Swarm could not place, and each
 * balancer's own view of the aggregators (or why its stats page could not be read).
 */
import { formatSwarmStatus, type SwarmNode, type SwarmTask } from "../../scripts/swarmStatus";
import type { BackendServerStats } from "../../scripts/haproxyStats";

const nodes: SwarmNode[] = [
  { hostname: "node-1", address: "10.213.0.11", state: "ready", role: "manager" },
  { hostname: "node-2", address: "10.213.0.12", state: "down", role: "manager" },
];
const task = (name: string, node: string, state = "Running 1 minute ago"): SwarmTask => ({
  name,
  service: name.replace(/\.\d+$/, ""),
  node,
  state,
});
const server = (backend: string, slot: string, address: string, status: string): BackendServerStats => ({
  backend,
  server: slot,
  address,
  status,
  currentSessions: 0,
  totalSessions: 0,
  bytesIn: 0,
  bytesOut: 0,
});

describe("the swarm status text", () => {
  const text = formatSwarmStatus(
    nodes,
    [
      task("lab-aggregators.1", "node-1"),
      task("lab-balancer.1", "node-1"),
      task("lab-aggregators.2", "", "Pending"),
    ],
    [
      {
        task: "lab-balancer.1",
        node: "node-1",
        servers: [
          server("vector_aggregators", "aggregator1", "10.214.1.2:19092", "UP"),
          server("vector_aggregators", "aggregator2", "10.214.1.3:19092", "DOWN"),
          server("vector_aggregators", "aggregator3", "", "MAINT (resolution)"),
        ],
      },
      { task: "lab-balancer.2", node: "node-2", servers: new Error("no answer within 5000 ms") },
    ],
  );

  it("lists each node with its address, role and state, and the tasks on it", () => {
    expect(text).toMatch(/node-1 +10\.213\.0\.11 +manager +ready\n +lab-aggregators\.1 +Running/);
    expect(text).toMatch(/node-2 +10\.213\.0\.12 +manager +down\n +\(none\)/);
  });

  it("names a task Swarm has placed on no node", () => {
    expect(text).toContain("not placed: lab-aggregators.2 Pending");
  });

  it("shows each balancer's servers, leaving out unused slots, and says when a view cannot be read", () => {
    expect(text).toMatch(
      /lab-balancer\.1 on node-1:\n +vector_aggregators +aggregator1 +10\.214\.1\.2:19092 +UP\n +vector_aggregators +aggregator2 +10\.214\.1\.3:19092 +DOWN/,
    );
    expect(text).not.toContain("aggregator3");
    expect(text).toContain(
      "lab-balancer.2 on node-2:\n      stats page not readable: no answer within 5000 ms",
    );
  });
});
