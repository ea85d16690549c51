import { labelKeys } from "../../components/constants";
import { labNaming } from "../../components/naming";

describe("lab naming", () => {
  const naming = labNaming("vector-ha-lab", "dev");

  it("starts every Docker object name with <project>-<stack>- and ends indexed names with the index", () => {
    const names = [
      naming.networkName,
      naming.balancerContainerName,
      naming.balancerHostname,
      naming.aggregatorPoolHostname,
      naming.aggregatorName(2),
      naming.agentName(0),
      naming.dataVolumeName(naming.agentName(0)),
    ];
    for (const name of names) expect(name.startsWith("vector-ha-lab-dev-")).toBe(true);
    expect(naming.aggregatorName(2)).toBe("vector-ha-lab-dev-aggregator-2");
    expect(naming.agentName(0)).toBe("vector-ha-lab-dev-agent-0");
    expect(new Set(names).size).toBe(names.length);
  });

  it("keeps two stacks' names apart", () => {
    const other = labNaming("vector-ha-lab", "staging");
    expect(other.aggregatorName(0)).not.toBe(naming.aggregatorName(0));
    expect(other.networkName).not.toBe(naming.networkName);
  });

  it("labels objects with project, stack and role", () => {
    expect(naming.labels("aggregator")).toEqual({
      [labelKeys.project]: "vector-ha-lab",
      [labelKeys.stack]: "dev",
      [labelKeys.role]: "aggregator",
    });
  });

  it.each(["Dev", "dev_1", "dev.1", "-dev", "x".repeat(40)])(
    "refuses stack name %j with a clear message",
    (stack) => {
      expect(() => labNaming("vector-ha-lab", stack)).toThrow(
        new RegExp(`stack name "${stack}" cannot name .*allowed: lowercase letters, digits and '-'`),
      );
    },
  );

  describe("on the swarm target", () => {
    // The longest stack name allowed: its Swarm names must still fit Docker's limits.
    const longest = labNaming("vector-ha-lab", "s".repeat(34));

    it("names balancer tasks by slot as Swarm's hostname template makes them, within a DNS label", () => {
      expect(naming.balancerTaskHostname(2)).toBe(`${naming.balancerHostname}-2`);
      expect(longest.balancerTaskHostname(9).length).toBeLessThanOrEqual(63);
    });

    it("names configs and secrets short enough for Swarm's 64 characters, versioned when asked", () => {
      expect(naming.swarmObjectName("agg-yaml", "0123456789abcdef")).toBe("vhl-dev-agg-yaml-0123456789");
      expect(naming.swarmObjectName("agg-key")).toBe("vhl-dev-agg-key");
      expect(longest.swarmObjectName("agent-yaml", "0123456789").length).toBeLessThanOrEqual(64);
      // Pulumi adds 8 characters (a dash and 7 random ones) to a secret's name.
      expect(longest.swarmObjectName("agent-key").length + 8).toBeLessThanOrEqual(64);
    });
  });
});
