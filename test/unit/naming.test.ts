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
});
