/**
 * The lifecycle benchmark's measurements turned into what the report shows: medians with their spread
 * and the lab's ratios per phase, a grouped bar chart, and the findings (goals judged on a full run
 * only). Pure.
 */
import type { BenchChart, BenchTable } from "./benchmark";
import { formatRatio, formatSpread, median, spread } from "./stats";

export const toolNames = ["lab", "compose", "script"] as const;
export type ToolName = (typeof toolNames)[number];

export const phases = ["coldUp", "noopUp", "scaleOut", "scaleIn", "destroy"] as const;
export type Phase = (typeof phases)[number];

export const phaseTitles: Record<Phase, string> = {
  coldUp: "cold up, until all UP",
  noopUp: "no-op up",
  scaleOut: "scale out +1, until UP",
  scaleIn: "scale in -1",
  destroy: "destroy",
};

/** Short names for the chart's axis. */
const phaseLabels: Record<Phase, string> = {
  coldUp: "cold up",
  noopUp: "no-op up",
  scaleOut: "scale out",
  scaleIn: "scale in",
  destroy: "destroy",
};

/** The goals: the lab's cold up within this factor of compose's, its scale-out faster than compose's. */
export const coldUpGoalRatio = 1.5;

/** One tool's run through every phase in one round. */
export interface CycleResult {
  round: number;
  tool: ToolName;
  /** Seconds per phase; cold up and scale out include the wait until HAProxy has the aggregators UP. */
  seconds: Record<Phase, number>;
  /** Of those two, the tool's command alone. */
  commandSeconds: { coldUp: number; scaleOut: number };
  /** What a person should know about a phase (compose recreated a container, left a volume). */
  notes: Partial<Record<Phase, string[]>>;
  /** Docker objects its destroy left (then removed by the benchmark). */
  leftovers: string[];
}

const valuesOf = (results: CycleResult[], tool: ToolName, pick: (r: CycleResult) => number): number[] =>
  results.filter((r) => r.tool === tool).map(pick);

export function lifecycleTables(results: CycleResult[], aggregators: number): BenchTable[] {
  const row = (title: string, pick: (r: CycleResult) => number): string[] => {
    const [lab, compose, script] = toolNames.map((tool) => valuesOf(results, tool, pick));
    return [
      title,
      formatSpread(lab),
      formatSpread(compose),
      formatSpread(script),
      formatRatio(lab, compose),
      formatRatio(lab, script),
    ];
  };
  const header = ["phase", "lab s", "compose s", "script s", "lab/compose", "lab/script"];
  return [
    {
      title: `Seconds per phase (${aggregators} aggregators, scaled to ${aggregators + 1} and back): median (lowest-highest, rounds)`,
      header,
      rows: phases.map((phase) => row(phaseTitles[phase], (r) => r.seconds[phase])),
    },
    {
      title: "Of which the tool's command alone (the rest: waiting until HAProxy has the aggregators UP)",
      header,
      rows: [
        row("cold up: command", (r) => r.commandSeconds.coldUp),
        row("scale out +1: command", (r) => r.commandSeconds.scaleOut),
      ],
    },
  ];
}

export function lifecycleChart(results: CycleResult[]): BenchChart {
  const values = phases.flatMap((phase) =>
    toolNames.flatMap((tool) => {
      const seconds = valuesOf(results, tool, (r) => r.seconds[phase]);
      if (seconds.length === 0) return [];
      const s = spread(seconds);
      return [{ phase: phaseLabels[phase], tool, median: s.median, min: s.min, max: s.max }];
    }),
  );
  const phaseOrder = phases.map((phase) => phaseLabels[phase]);
  return {
    name: "lifecycle-phases",
    title: "Seconds per phase and tool (median; rule: lowest to highest round)",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: {
        text: "Lifecycle: seconds per phase (median; rule: lowest-highest round)",
        subtitle: "cold up and scale out: until HAProxy has the aggregators UP",
      },
      width: 520,
      height: 260,
      data: { values },
      encoding: {
        x: {
          field: "phase",
          type: "nominal",
          sort: phaseOrder,
          title: null,
          axis: { labelAngle: 0, labelLimit: 110 },
        },
        xOffset: { field: "tool", type: "nominal", sort: [...toolNames] },
      },
      layer: [
        {
          mark: "bar",
          encoding: {
            y: { field: "median", type: "quantitative", title: "seconds" },
            color: { field: "tool", type: "nominal", sort: [...toolNames], title: "tool" },
          },
        },
        {
          mark: { type: "rule", color: "black" },
          encoding: { y: { field: "min", type: "quantitative" }, y2: { field: "max" } },
        },
      ],
    },
  };
}

export function lifecycleFindings(results: CycleResult[], smoke: boolean): string[] {
  const medianOf = (tool: ToolName, phase: Phase) => {
    const values = valuesOf(results, tool, (r) => r.seconds[phase]);
    return values.length > 0 ? median(values) : NaN;
  };
  const findings: string[] = [];
  const coldRatio = medianOf("lab", "coldUp") / medianOf("compose", "coldUp");
  const [labOut, composeOut] = [medianOf("lab", "scaleOut"), medianOf("compose", "scaleOut")];
  if (smoke) {
    findings.push(
      `Smoke run: goals not judged (lab cold up ${coldRatio.toFixed(2)}x compose's; scale out ${labOut.toFixed(1)} s vs ${composeOut.toFixed(1)} s).`,
    );
  } else {
    findings.push(
      `Goal "lab cold up within ${coldUpGoalRatio}x of compose": ${coldRatio <= coldUpGoalRatio ? "met" : "NOT met"} ` +
        `(${coldRatio.toFixed(2)}x, medians ${medianOf("lab", "coldUp").toFixed(1)} s vs ${medianOf("compose", "coldUp").toFixed(1)} s).`,
      `Goal "lab scale-out faster than compose's": ${labOut < composeOut ? "met" : "NOT met"} ` +
        `(${labOut.toFixed(1)} s vs ${composeOut.toFixed(1)} s, until the new aggregator is UP in HAProxy).`,
    );
  }
  const composeNotes = (phase: Phase) => [
    ...new Set(results.filter((r) => r.tool === "compose").flatMap((r) => r.notes[phase] ?? [])),
  ];
  if (results.some((r) => r.tool === "compose")) {
    const scaleOut = composeNotes("scaleOut");
    const recreatedNothing = !scaleOut.some((note) => note.includes("recreating"));
    findings.push(
      `Compose on scale-out (new service added to the file, \`docker-compose up -d\`): ${
        scaleOut.length > 0 ? scaleOut.join("; ") : "did nothing it reported"
      }${recreatedNothing ? "; recreated nothing" : ""}.`,
    );
    const scaleIn = composeNotes("scaleIn");
    if (scaleIn.length > 0)
      findings.push(`Compose on scale-in (\`up -d --remove-orphans\`): ${scaleIn.join("; ")}.`);
  }
  const toolsRun = toolNames.filter((tool) => results.some((r) => r.tool === tool));
  findings.push(
    `Every aggregator of ${toolsRun.join(", ")} became UP in HAProxy in every round, ` +
      "so the files and certificates copied from the lab work under the other tools.",
  );
  const left = results.filter((r) => r.leftovers.length > 0);
  findings.push(
    left.length === 0
      ? "Every destroy left no container, network or volume."
      : `Destroy left objects behind: ${left.map((r) => `${r.tool} round ${r.round + 1}: ${r.leftovers.join(", ")}`).join("; ")}.`,
  );
  return findings;
}
