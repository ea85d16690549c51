import { labelKeys } from "../../components/constants";
import { outputsChanged, planChanges, plannedContainerReplacements } from "../../scripts/rollingUp";

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

describe("when a no-op up can stop after its preview", () => {
  it("counts every step that changes something, and none of the refreshes and sames", () => {
    const steps = [
      container("refresh", "aggregator-0", "aggregator"),
      container("same", "aggregator-0", "aggregator"),
      container("read", "image", "haproxy"),
      container("create", "aggregator-2", "aggregator"),
      container("replace", "agent-0", "agent"),
      container("create-replacement", "agent-0", "agent"),
    ];
    expect(planChanges(steps.slice(0, 3))).toEqual({});
    expect(planChanges(steps)).toEqual({ create: 1, replace: 1, "create-replacement": 1 });
  });

  it("sees outputs a new version of the program adds, drops or reshapes; secrets by presence only", () => {
    const current = {
      statsUrl: { value: "http://127.0.0.1:8404/stats", secret: false },
      hostAgentKeyPem: { value: "the host agent's key (a secret)", secret: true },
    };
    const same = { statsUrl: "http://127.0.0.1:8404/stats", hostAgentKeyPem: "[secret]" };
    expect(outputsChanged(same, current)).toBe(false);
    expect(outputsChanged({ ...same, metricsUrl: "http://127.0.0.1:8404/metrics" }, current)).toBe(true);
    expect(outputsChanged({ statsUrl: same.statsUrl }, current)).toBe(true);
    expect(outputsChanged({ ...same, statsUrl: "http://127.0.0.1:8405/stats" }, current)).toBe(true);
  });
});
