/**
 * `lab-scale`: how the lab's cost grows with the aggregator count. For each count, on a stack of its
 * own: `up` until every aggregator is UP in HAProxy, the memory of the lab's containers and of the
 * engine's daemons then, and `down`. The balancer's slots (`maxAggregators`) are the largest count for
 * every count, so HAProxy's config is the same throughout.
 */
import { projectName } from "../../components/constants";
import { labNaming } from "../../components/naming";
import { parseLabConfig, settingDefaults } from "../../components/settings";
import { docker } from "../dockerCli";
import { labContainers } from "../labStatus";
import type { Benchmark, BenchContext, BenchOutcome } from "./benchmark";
import { labVerb, untilAllUp, withBenchStack } from "./benchStack";
import { containerMemory, daemonMemory } from "./engineMemory";
import { labScaleChart, labScaleFindings, labScaleTables, type ScaleResult } from "./labScaleOutcome";

const agents = 2;
const smokeCounts = [2, 4];
const fullCounts = [2, 8, 16, 32];
/** One round per count in a full run: 58 aggregators up and down already take minutes on 2 cores. */
const roundsPerCount = 1;

async function run(context: BenchContext): Promise<BenchOutcome> {
  const counts = context.smoke ? smokeCounts : fullCounts;
  const largest = Math.max(...counts);
  const settings = {
    agents: String(agents),
    aggregators: String(counts[0]),
    maxAggregators: String(Math.max(largest, settingDefaults.maxAggregators)),
  };
  // The largest count must be allowed: refused here, by the lab's own rules, before a stack is made.
  parseLabConfig({ ...settings, aggregators: String(largest) });
  return withBenchStack("lab-scale", context.mode, settings, async (stack) => {
    const naming = labNaming(projectName, stack.name);
    const statsUrl = `http://127.0.0.1:${stack.ports.statsPort}/stats`;
    const results: ScaleResult[] = [];
    for (let round = 0; round < roundsPerCount; round++) {
      for (const count of counts) {
        // `scale N` on a stack that is down: the lab's `up` with aggregators set to N.
        const up = await labVerb(stack, "scale", String(count));
        const names = Array.from({ length: count }, (_, index) => naming.aggregatorName(index));
        const waitSeconds = (await untilAllUp(statsUrl, names, 60000 + count * 5000)) / 1000;
        const containers = labContainers(projectName, stack.name).map((c) => c.name);
        const perContainer = containerMemory(containers);
        const daemons = daemonMemory(docker("inspect", "-f", "{{.Id}}", ...containers).split("\n"));
        const down = await labVerb(stack, "down");
        const result: ScaleResult = {
          aggregators: count,
          round,
          upSeconds: up.seconds + waitSeconds,
          upCommandSeconds: up.seconds,
          destroySeconds: down.seconds,
          containerBytes: Object.values(perContainer).reduce((sum, bytes) => sum + bytes, 0),
          dockerdBytes: daemons.dockerd,
          containerdBytes: daemons.containerd,
          shimBytes: daemons.shims,
        };
        results.push(result);
        context.progress(
          `${count} aggregators: up ${result.upSeconds.toFixed(1)} s, destroy ${result.destroySeconds.toFixed(1)} s, ` +
            `containers ${(result.containerBytes / 2 ** 20).toFixed(0)} MiB, dockerd ${(result.dockerdBytes / 2 ** 20).toFixed(0)} MiB`,
        );
      }
    }
    return {
      tables: labScaleTables(results, agents),
      charts: [labScaleChart(results)],
      findings: labScaleFindings(results, roundsPerCount),
      data: { agents, counts, maxAggregators: Number(settings.maxAggregators), results },
    };
  });
}

export const labScale: Benchmark = {
  name: "lab-scale",
  summary: "up and destroy time and memory of the lab at 2 to 32 aggregators",
  run,
};
