/**
 * `spread`: after scaling out from N to N+1 aggregators, how long until the new one takes its fair
 * share, for each `maxConnectionAgeSecs` and `balance` (spreadPlan.ts). One stack of its own, its
 * settings changed between runs; during each scale-out, every second, HAProxy's connections per
 * aggregator and the lines each aggregator's file received (spreadShares.ts).
 */
import { projectName } from "../../components/constants";
import { backendNames } from "../../components/haproxyConfig";
import { labNaming } from "../../components/naming";
import { DeliveryLedger } from "../delivery";
import { waitUntil } from "../drills/drill";
import type { BackendServerStats } from "../haproxyStats";
import { balancerServers, labContainers } from "../labStatus";
import { writeStackSettings } from "../stackSettings";
import type { Benchmark } from "./benchmark";
import {
  benchStackOutputs,
  labVerb,
  untilAllUp,
  withBenchStack,
  type BenchStack,
  type VerbRun,
} from "./benchStack";
import { finalWindowSecs, formatFairAfter, spreadOutcome, type SpreadRun } from "./spreadOutcome";
import {
  agentCount,
  aggregatorsBefore,
  changesBetween,
  configurationSettings,
  describeConfiguration,
  fairShareBoundSecs,
  fairShareHoldSecs,
  spreadPlan,
  statsTimeoutMs,
  type SpreadConfiguration,
} from "./spreadPlan";
import {
  backendView,
  firstUpSecs,
  linesInLastWindow,
  timeToFairShare,
  unknownAddresses,
  type SpreadSample,
} from "./spreadShares";

/** Once `scale` has returned, the new aggregator must be UP in HAProxy within this long. */
const upTimeoutSecs = 60;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Container addresses → aggregator names, looked up again when HAProxy shows an address it lacks. */
class AggregatorAddresses {
  readonly byAddress = new Map<string, string>();
  private lookedUpAt = 0;

  constructor(private readonly stackName: string) {}

  update(servers: BackendServerStats[]): void {
    // At most every 2 s: a slot whose container is gone keeps its old address for a moment.
    if (unknownAddresses(servers, backendNames.vector, this.byAddress).length === 0) return;
    if (Date.now() - this.lookedUpAt < 2000) return;
    this.lookedUpAt = Date.now();
    for (const container of labContainers(projectName, this.stackName)) {
      if (container.role !== "aggregator") continue;
      for (const address of container.addresses) if (address) this.byAddress.set(address, container.name);
    }
  }
}

/** Waits until HAProxy holds at least one Vector connection per agent. */
async function untilAgentsConnected(statsUrl: string, agents: number): Promise<void> {
  await waitUntil(
    `${agents} agent connections in HAProxy's ${backendNames.vector}`,
    90000,
    async () => {
      const servers = await balancerServers(statsUrl, 2000).catch(() => []);
      const connected = servers
        .filter((s) => s.backend === backendNames.vector)
        .reduce((sum, s) => sum + s.currentSessions, 0);
      return connected >= agents ? true : undefined;
    },
    500,
  );
}

interface MeasureArgs {
  stack: BenchStack;
  statsUrl: string;
  configuration: SpreadConfiguration;
  agents: number;
  settingsUpSecs: number;
}

/**
 * Scales out by one while sampling every second, until the new aggregator has held its fair share of
 * connections for `fairShareHoldSecs`, or the bound after it was UP has passed.
 */
async function measureScaleOut(args: MeasureArgs): Promise<SpreadRun> {
  const naming = labNaming(projectName, args.stack.name);
  const aggregators = Array.from({ length: aggregatorsBefore + 1 }, (_, i) => naming.aggregatorName(i));
  const added = aggregators[aggregators.length - 1];
  await untilAllUp(args.statsUrl, aggregators.slice(0, -1));
  await untilAgentsConnected(args.statsUrl, args.agents);

  const boundSecs = fairShareBoundSecs(args.configuration.maxConnectionAgeSecs);
  const addresses = new AggregatorAddresses(args.stack.name);
  const ledger = new DeliveryLedger();
  const samples: SpreadSample[] = [];
  const scale: { run?: VerbRun; endedAtSecs?: number; error?: Error } = {};
  const started = Date.now();
  const secondsSinceStart = () => (Date.now() - started) / 1000;
  const scaling = labVerb(args.stack, "scale", String(aggregators.length)).then(
    (run) => {
      scale.run = run;
      scale.endedAtSecs = secondsSinceStart();
    },
    (error: Error) => {
      scale.error = error;
    },
  );
  let fairAfterSecs: number | undefined;
  let statsMisses = 0;
  try {
    for (;;) {
      const atSecs = secondsSinceStart();
      const servers = await balancerServers(args.statsUrl, statsTimeoutMs).catch(() => undefined);
      if (servers === undefined) statsMisses++;
      else {
        addresses.update(servers);
        ledger.collect(aggregators);
        const view = backendView(servers, backendNames.vector, addresses.byAddress);
        samples.push({
          atSecs,
          connections: Object.fromEntries(aggregators.map((name) => [name, view.connections[name] ?? 0])),
          lines: Object.fromEntries(aggregators.map((name) => [name, ledger.linesReceivedBy(name)])),
          newUp: view.up.includes(added),
        });
      }
      if (scale.error) throw scale.error;
      const upAt = firstUpSecs(samples);
      if (scale.endedAtSecs !== undefined) {
        if (upAt === undefined && atSecs - scale.endedAtSecs > upTimeoutSecs) {
          throw new Error(`${added} was not UP in HAProxy within ${upTimeoutSecs} s of the scale-out's end`);
        }
        if (upAt !== undefined) {
          fairAfterSecs = timeToFairShare(samples, {
            aggregator: added,
            aggregatorCount: aggregators.length,
            holdSecs: fairShareHoldSecs,
            fromSecs: upAt,
          });
          if (fairAfterSecs !== undefined || atSecs - upAt > boundSecs) break;
        }
      }
      await sleep((Math.floor(secondsSinceStart()) + 1) * 1000 - (Date.now() - started));
    }
  } finally {
    // Never leave the scale-out running behind an error: the stack's removal would race it.
    await scaling;
  }
  const last = samples[samples.length - 1];
  return {
    ...args.configuration,
    agents: args.agents,
    aggregators,
    settingsUpSecs: args.settingsUpSecs,
    scaleSecs: scale.run?.seconds ?? 0,
    upAfterSecs: firstUpSecs(samples) ?? null,
    boundSecs,
    fairAfterSecs: fairAfterSecs ?? null,
    statsMisses,
    finalConnections: last.connections,
    finalLines: linesInLastWindow(samples, finalWindowSecs),
    samples,
  };
}

export const spreadBenchmark: Benchmark = {
  name: "spread",
  summary: "time until a scaled-out aggregator takes its fair share, by maxConnectionAgeSecs and balance",
  async run(context) {
    const plan = spreadPlan(context.smoke);
    const agents = agentCount(context.smoke);
    const runs: SpreadRun[] = [];
    const initial = {
      aggregators: String(aggregatorsBefore),
      agents: String(agents),
      ...configurationSettings(plan[0]),
    };
    await withBenchStack("spread", context.mode, initial, async (stack) => {
      context.progress(`up: ${stack.name}, ${aggregatorsBefore} aggregators, ${agents} agents`);
      const first = await labVerb(stack, "up");
      context.progress(`up took ${first.seconds.toFixed(1)} s`);
      const { statsUrl } = await benchStackOutputs(stack);
      let previous: SpreadConfiguration | undefined;
      for (const configuration of plan) {
        let settingsUpSecs = 0;
        if (previous) {
          const changes = changesBetween(previous, configuration);
          writeStackSettings(stack.name, changes);
          settingsUpSecs = (await labVerb(stack, "up")).seconds;
          context.progress(`${describeConfiguration(configuration)}: up took ${settingsUpSecs.toFixed(1)} s`);
        }
        const run = await measureScaleOut({ stack, statsUrl, configuration, agents, settingsUpSecs });
        context.progress(
          `${describeConfiguration(configuration)}: scale ${run.scaleSecs.toFixed(1)} s, new one UP after ` +
            `${run.upAfterSecs?.toFixed(1) ?? "never"} s, fair share after ${formatFairAfter(run, true)}`,
        );
        runs.push(run);
        previous = configuration;
      }
    });
    return spreadOutcome(runs, context.smoke);
  },
};
