/**
 * `lifecycle`: the lab command against what a user would pick instead, on the same containers, images,
 * files and certificates: docker-compose with a file written from the lab's containers, and a plain
 * docker CLI script. Each tool, in the same rounds (its order rotated per round so drift hits all
 * alike): cold up until every aggregator is UP in HAProxy, a no-op up, scale out by one until the new
 * aggregator is UP, scale in, destroy (checked to leave nothing).
 *
 * The other tools' inputs come from the lab itself: in the first round, once the lab has scaled out,
 * `docker inspect` of its containers and a copy of their files (labCapture.ts) go into a private temp
 * directory (0700, outside the repository; it holds private keys) that is removed at the end.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectName } from "../../components/constants";
import { labNaming } from "../../components/naming";
import type { Benchmark, BenchContext, BenchOutcome } from "./benchmark";
import { untilAllUp, withBenchStack } from "./benchStack";
import { captureLab } from "./labCapture";
import { lifecycleChart, lifecycleFindings, lifecycleTables, type CycleResult } from "./lifecycleOutcome";
import {
  composeTool,
  labTool,
  objectNames,
  objectsNamed,
  removeObjects,
  scriptTool,
  timedCommand,
  type LifecycleTool,
} from "./lifecycleTools";
import { replicaPlan } from "./replicaPlan";

/** The lab's defaults: what a user starts with. */
const aggregators = 2;
const agents = 2;

async function cycle(
  tool: LifecycleTool,
  round: number,
  statsUrl: string,
  progress: (line: string) => void,
  afterScaleOut?: () => void,
): Promise<CycleResult> {
  const coldUp = await tool.up();
  const coldUpWait = (await untilAllUp(statsUrl, tool.aggregatorNames(aggregators))) / 1000;
  const noopUp = await tool.up();
  const scaleOut = await tool.scaleOut();
  const newAggregator = tool.aggregatorNames(aggregators + 1).slice(aggregators);
  const scaleOutWait = (await untilAllUp(statsUrl, newAggregator)) / 1000;
  afterScaleOut?.();
  const scaleIn = await tool.scaleIn();
  const destroy = await tool.down();
  const left = tool.leftovers();
  const leftovers = objectNames(left);
  // Reported, then removed, so that the next round starts from nothing.
  if (leftovers.length > 0) removeObjects(left);
  const result: CycleResult = {
    round,
    tool: tool.name,
    seconds: {
      coldUp: coldUp.seconds + coldUpWait,
      noopUp: noopUp.seconds,
      scaleOut: scaleOut.seconds + scaleOutWait,
      scaleIn: scaleIn.seconds,
      destroy: destroy.seconds,
    },
    commandSeconds: { coldUp: coldUp.seconds, scaleOut: scaleOut.seconds },
    notes: {
      coldUp: coldUp.notes,
      noopUp: noopUp.notes,
      scaleOut: scaleOut.notes,
      scaleIn: scaleIn.notes,
      destroy: destroy.notes,
    },
    leftovers,
  };
  const s = result.seconds;
  progress(
    `round ${round + 1} ${tool.name}: cold up ${s.coldUp.toFixed(1)} s, no-op ${s.noopUp.toFixed(1)} s, ` +
      `scale out ${s.scaleOut.toFixed(1)} s, scale in ${s.scaleIn.toFixed(1)} s, destroy ${s.destroy.toFixed(1)} s` +
      (leftovers.length > 0 ? `; LEFT ${leftovers.join(", ")}` : ""),
  );
  return result;
}

async function run(context: BenchContext): Promise<BenchOutcome> {
  // Refused before any stack is made when docker-compose is missing.
  await timedCommand("docker-compose", ["version"], os.tmpdir());
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "vhl-lifecycle-"));
  fs.chmodSync(workDir, 0o700);
  const prefixes: string[] = [];
  try {
    return await withBenchStack(
      "lifecycle",
      context.mode,
      { aggregators: String(aggregators), agents: String(agents) },
      async (stack) => {
        const suffix = stack.name.slice(stack.name.lastIndexOf("-") + 1);
        const labPrefix = labNaming(projectName, stack.name).prefix;
        // The stats port is the same published port for every tool (one runs at a time).
        const statsUrl = `http://127.0.0.1:${stack.ports.statsPort}/stats`;
        const lab = labTool(stack, aggregators);
        let others: LifecycleTool[] = [];
        const capture = () => {
          const filesDir = path.join(workDir, "files");
          const specs = captureLab(projectName, stack.name, labPrefix, filesDir);
          const extraAggregator = (prefix: string) => `${prefix}-aggregator-${aggregators}`;
          others = (["compose", "script"] as const).map((tool) => {
            const prefix = `vhl-${tool}-${suffix}`;
            prefixes.push(prefix);
            const plan = replicaPlan(specs, { labPrefix, prefix, filesDir, initialAggregators: aggregators });
            const toolDir = path.join(workDir, tool);
            fs.mkdirSync(toolDir, { mode: 0o700 });
            return tool === "compose"
              ? composeTool(plan, extraAggregator(prefix), toolDir)
              : scriptTool(plan, extraAggregator(prefix), toolDir);
          });
          context.progress(
            `copied ${specs.length} containers' settings and files from the lab into ${workDir}`,
          );
        };
        const results: CycleResult[] = [];
        for (let round = 0; round < context.rounds; round++) {
          if (round === 0) {
            // The lab goes first in the first round: the other tools start from what it made.
            results.push(await cycle(lab, round, statsUrl, context.progress, capture));
            for (const tool of others) results.push(await cycle(tool, round, statsUrl, context.progress));
          } else {
            const tools = [lab, ...others];
            for (let i = 0; i < tools.length; i++) {
              results.push(await cycle(tools[(i + round) % tools.length], round, statsUrl, context.progress));
            }
          }
        }
        return {
          tables: lifecycleTables(results, aggregators),
          charts: [lifecycleChart(results)],
          findings: lifecycleFindings(results, context.smoke),
          data: { aggregators, agents, results },
        };
      },
    );
  } finally {
    for (const prefix of prefixes) {
      try {
        removeObjects(objectsNamed(prefix));
      } catch (error) {
        context.progress(`could not remove what is left of ${prefix}: ${(error as Error).message}`);
      }
    }
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

export const lifecycle: Benchmark = {
  name: "lifecycle",
  summary:
    "the lab command against docker-compose and a docker CLI script: up, no-op up, scale out/in, destroy",
  run,
};
