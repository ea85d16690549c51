/**
 * Rotating the lab's CA without a moment where one side distrusts the other: three `up`s, each rolled
 * container by container (rollingUp.ts).
 *   1. trust:  a new CA generation is made and added to every trust bundle; certificates unchanged.
 *   2. sign:   every certificate (and key) is issued anew by the new CA; both still trusted.
 *   3. retire: the old CA leaves the bundles and the state.
 * Between phases every container trusts whatever any other presents. The phase is in the stack's
 * settings (`caGeneration`, `caAlsoTrusted`), so a rotation cut short resumes where it stopped.
 */

export interface CaSettings {
  /** The generation that signs (settings.ts `caGeneration`). */
  generation: number;
  /** The other generation trusted, 0 for none (`caAlsoTrusted`). */
  alsoTrusted: number;
}

export interface RotationPhase {
  name: "trust" | "sign" | "retire";
  /** What it does, for the user. */
  describe: string;
  settings: CaSettings;
}

/** The phases still to run from the current settings, to a single CA one generation on (or resumed). */
export function caRotationPhases(current: CaSettings): RotationPhase[] {
  const { generation, alsoTrusted } = current;
  if (alsoTrusted !== 0 && alsoTrusted < generation) {
    // Stopped after "sign": the newer generation already signs; finish it.
    return [signPhase(alsoTrusted, generation), retirePhase(alsoTrusted, generation)];
  }
  const next = alsoTrusted !== 0 ? alsoTrusted : generation + 1;
  return [
    {
      name: "trust",
      describe: `make CA generation ${next} and add it to every trust bundle (certificates still from ${generation})`,
      settings: { generation, alsoTrusted: next },
    },
    signPhase(generation, next),
    retirePhase(generation, next),
  ];
}

function signPhase(old: number, next: number): RotationPhase {
  return {
    name: "sign",
    describe: `issue every certificate and key anew from CA ${next} (CA ${old} still trusted)`,
    settings: { generation: next, alsoTrusted: old },
  };
}

function retirePhase(old: number, next: number): RotationPhase {
  return {
    name: "retire",
    describe: `remove CA ${old} from every trust bundle and from the state`,
    settings: { generation: next, alsoTrusted: 0 },
  };
}
