/** What the `spread` benchmark runs (scripts/bench/spreadPlan.ts). */
import { balanceAlgorithms, parseLabConfig } from "../../components/settings";
import {
  agentCount,
  aggregatorsBefore,
  changesBetween,
  configurationSettings,
  connectionAges,
  describeConfiguration,
  fairShareBoundSecs,
  spreadPlan,
} from "../../scripts/bench/spreadPlan";
import { fairShareBand } from "../../scripts/bench/spreadShares";

describe("spread plan", () => {
  it("smoke: 10 s with roundrobin only", () => {
    expect(spreadPlan(true)).toEqual([{ maxConnectionAgeSecs: 10, balance: "roundrobin" }]);
  });

  it("full: every age with every algorithm, once each", () => {
    const plan = spreadPlan(false);
    expect(plan).toHaveLength(connectionAges.length * balanceAlgorithms.length);
    const seen = new Set(plan.map(describeConfiguration));
    expect(seen.size).toBe(plan.length);
    for (const age of [10, 30, 60]) {
      for (const balance of ["roundrobin", "leastconn", "source"])
        expect(seen).toContain(`${age} s, ${balance}`);
    }
  });

  it("full: consecutive configurations differ in one setting, the age rolled only twice", () => {
    const plan = spreadPlan(false);
    let ageChanges = 0;
    for (let i = 1; i < plan.length; i++) {
      const changes = changesBetween(plan[i - 1], plan[i]);
      const changed = Object.keys(changes).filter((key) => key !== "aggregators");
      expect(changed).toHaveLength(1);
      if (changed[0] === "maxConnectionAgeSecs") ageChanges++;
    }
    expect(ageChanges).toBe(2);
    expect(plan.map((c) => c.maxConnectionAgeSecs)).toEqual(
      [...plan.map((c) => c.maxConnectionAgeSecs)].sort((a, b) => a - b),
    );
  });

  it("between runs: back to N aggregators and only what differs", () => {
    expect(
      changesBetween(
        { maxConnectionAgeSecs: 10, balance: "source" },
        { maxConnectionAgeSecs: 30, balance: "source" },
      ),
    ).toEqual({ aggregators: String(aggregatorsBefore), maxConnectionAgeSecs: "30" });
    expect(
      changesBetween(
        { maxConnectionAgeSecs: 10, balance: "roundrobin" },
        { maxConnectionAgeSecs: 10, balance: "leastconn" },
      ),
    ).toEqual({ aggregators: String(aggregatorsBefore), balance: "leastconn" });
  });

  it("sets settings the lab accepts", () => {
    for (const configuration of spreadPlan(false)) {
      const settings = configurationSettings(configuration);
      const config = parseLabConfig({
        ...settings,
        aggregators: String(aggregatorsBefore),
        agents: String(agentCount(false)),
      });
      expect(config.maxConnectionAgeSecs).toBe(configuration.maxConnectionAgeSecs);
      expect(config.balance).toBe(configuration.balance);
    }
  });

  it("has enough agents for a fair share of whole agents after the scale-out", () => {
    for (const smoke of [true, false]) {
      const agents = agentCount(smoke);
      const perAggregator = Math.round(agents / (aggregatorsBefore + 1));
      const { low, high } = fairShareBand(aggregatorsBefore + 1);
      expect(perAggregator / agents).toBeGreaterThanOrEqual(low);
      expect(perAggregator / agents).toBeLessThanOrEqual(high);
    }
    expect(agentCount(false)).toBeGreaterThan(agentCount(true));
  });

  it("waits two connection ages and 20 s for a fair share", () => {
    expect(fairShareBoundSecs(10)).toBe(40);
    expect(fairShareBoundSecs(60)).toBe(140);
  });
});
