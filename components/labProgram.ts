/**
 * The program `pulumi up` and the lab command both run: read and validate the settings, check the
 * host (hostChecks.ts), then declare the lab. Each refusal is a `RunError` listing every problem,
 * raised before the first resource is declared: nothing is created, and no stack trace is printed.
 */
import * as pulumi from "@pulumi/pulumi";
import { readLabConfig, readRawSettings } from "./config";
import { hostNotReady, hostProblems, type HostProbe } from "./hostChecks";
import { realHostProbe } from "./hostProbe";
import { buildLab, type BuildOptions, type LabOutputs } from "./lab";
import type { SwarmLabOutputs } from "./swarmLab";
import { labNaming, type LabNaming } from "./naming";

export async function labProgram(
  probe: HostProbe = realHostProbe(),
  options: BuildOptions = {},
): Promise<LabOutputs | SwarmLabOutputs> {
  const raw = readRawSettings();
  const config = readLabConfig(raw);
  let naming: LabNaming;
  try {
    naming = labNaming(pulumi.getProject(), pulumi.getStack());
  } catch (error) {
    throw new pulumi.RunError((error as Error).message);
  }
  const problems = await hostProblems(config, raw, naming, probe);
  if (problems.length > 0) throw new pulumi.RunError(hostNotReady(problems));
  return buildLab(config, options);
}
