import { caRotationPhases } from "../../scripts/caRotation";
import { generationName } from "../../components/pki";

const settingsOf = (phases: ReturnType<typeof caRotationPhases>) =>
  phases.map((p) => [p.name, p.settings.generation, p.settings.alsoTrusted]);

describe("CA rotation phases", () => {
  it("from a single CA: trust the next generation, sign with it, retire the old one", () => {
    expect(settingsOf(caRotationPhases({ generation: 1, alsoTrusted: 0 }))).toEqual([
      ["trust", 1, 2],
      ["sign", 2, 1],
      ["retire", 2, 0],
    ]);
    expect(settingsOf(caRotationPhases({ generation: 7, alsoTrusted: 0 }))).toEqual([
      ["trust", 7, 8],
      ["sign", 8, 7],
      ["retire", 8, 0],
    ]);
  });

  it("resumes a rotation cut short after trust: trust again (nothing to do), then sign and retire", () => {
    expect(settingsOf(caRotationPhases({ generation: 1, alsoTrusted: 2 }))).toEqual([
      ["trust", 1, 2],
      ["sign", 2, 1],
      ["retire", 2, 0],
    ]);
  });

  it("resumes a rotation cut short after sign: sign again (nothing to do), then retire", () => {
    expect(settingsOf(caRotationPhases({ generation: 2, alsoTrusted: 1 }))).toEqual([
      ["sign", 2, 1],
      ["retire", 2, 0],
    ]);
  });

  it("never has a phase where the signing CA is not trusted by everyone", () => {
    for (const start of [
      { generation: 1, alsoTrusted: 0 },
      { generation: 3, alsoTrusted: 4 },
      { generation: 5, alsoTrusted: 4 },
    ]) {
      const phases = caRotationPhases(start);
      let trusted = new Set([start.generation, start.alsoTrusted].filter((g) => g !== 0));
      for (const { settings } of phases) {
        // A container not yet rolled trusts what it trusted before: the new signer must be among it.
        expect(trusted.has(settings.generation)).toBe(true);
        trusted = new Set([settings.generation, settings.alsoTrusted].filter((g) => g !== 0));
      }
      expect(phases[phases.length - 1].settings.alsoTrusted).toBe(0);
    }
  });
});

describe("resource names per CA generation", () => {
  it("keeps generation 1's names as they always were, and marks later ones", () => {
    expect(generationName("pki-ca", 1)).toBe("pki-ca");
    expect(generationName("aggregator-0", 1)).toBe("aggregator-0");
    expect(generationName("pki-ca", 2)).toBe("pki-ca-g2");
    expect(generationName("agent-3", 12)).toBe("agent-3-g12");
  });
});
