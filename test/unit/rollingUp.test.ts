import { labelKeys } from "../../components/constants";
import { plannedContainerReplacements } from "../../scripts/rollingUp";

const container = (op: string, name: string, role: string) => ({
  op,
  urn: `urn:pulumi:dev::vector-ha-lab::docker:index/container:Container::${name}`,
  type: "docker:index/container:Container",
  old: { inputs: { name: `lab-${name}`, labels: [{ label: labelKeys.role, value: role }] } },
});

describe("which containers an up rolls", () => {
  it("only Vector containers replaced (not created, deleted or unchanged; not HAProxy), aggregators first", () => {
    const steps = [
      container("replace", "agent-1", "agent"),
      container("replace", "aggregator-10", "aggregator"),
      container("same", "demo-app-0", "demo-app"),
      container("replace", "haproxy", "haproxy"),
      container("create-replacement", "agent-1", "agent"),
      container("replace", "aggregator-2", "aggregator"),
      container("create", "aggregator-3", "aggregator"),
      container("delete", "aggregator-4", "aggregator"),
      container("replace", "agent-0", "agent"),
      {
        op: "replace",
        urn: "urn:x::tls:index/locallySignedCert:LocallySignedCert::agent-0-cert",
        type: "tls:index/locallySignedCert:LocallySignedCert",
      },
    ];
    expect(plannedContainerReplacements(steps).map((c) => [c.name, c.role])).toEqual([
      ["lab-aggregator-2", "aggregator"],
      ["lab-aggregator-10", "aggregator"],
      ["lab-agent-0", "agent"],
      ["lab-agent-1", "agent"],
    ]);
  });

  it("nothing when the plan replaces no container", () => {
    expect(plannedContainerReplacements([container("same", "aggregator-0", "aggregator")])).toEqual([]);
  });
});
