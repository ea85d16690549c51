/**
 * Every config the lab renders, for several settings, through the real Vector's own
 * `vector validate` (the bundle's binary, test/support/bundledVector.ts): it must pass with no WARN
 * and no ERROR line. The host agent's config also passes a full validation (environment checks, no
 * health checks) in an empty folder of a host that has no /var/lib/vector.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  agentVectorConfig,
  aggregatorVectorConfig,
  hostAgentVectorConfig,
  renderVectorYaml,
  type VectorConfig,
} from "../../components/vectorConfig";
import { bundledVectorBinary } from "../support/bundledVector";
import { devAgentSpec } from "../support/labSpecs";
import { makeCa, makeLeaf } from "../../scripts/throwawayCerts";

const vector = bundledVectorBinary();

function validate(config: VectorConfig, cwd: string, ...flags: string[]) {
  const file = path.join(cwd, "vector.yaml");
  fs.writeFileSync(file, renderVectorYaml(config));
  const result = spawnSync(vector!, ["validate", ...flags, file], {
    cwd,
    encoding: "utf8",
    // Vector shows a repeated warning only once per run unless told otherwise.
    env: { ...process.env, VECTOR_INTERNAL_LOG_RATE_LIMIT: "0", NO_COLOR: "1" },
  });
  const output = `${result.stdout}${result.stderr}`;
  return {
    status: result.status,
    output,
    problems: output.split("\n").filter((l) => / (WARN|ERROR) /.test(l)),
  };
}

(vector ? describe : describe.skip)(
  "the real Vector validates every rendered config with no WARN or ERROR",
  () => {
    let dir: string;
    let pem: { ca: string; crt: string; key: string };
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "vector-validate-"));
      makeCa(dir, "ca");
      makeLeaf(dir, "ca", "host-agent", "extendedKeyUsage=clientAuth\n");
      const read = (name: string) => fs.readFileSync(path.join(dir, name), "utf8");
      pem = { ca: read("ca.pem"), crt: read("host-agent.crt"), key: read("host-agent.key") };
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    const configs: [string, () => VectorConfig][] = [
      [
        "aggregator",
        () =>
          aggregatorVectorConfig({ nodeName: "vector-ha-lab-dev-aggregator-0", maxConnectionAgeSecs: 60 }),
      ],
      [
        "aggregator, 1 s connection age",
        () => aggregatorVectorConfig({ nodeName: "a-1", maxConnectionAgeSecs: 1 }),
      ],
      ["agent", () => agentVectorConfig(devAgentSpec)],
      [
        "agent of the swarm target, dialling every balancer",
        () =>
          agentVectorConfig({
            ...devAgentSpec,
            balancerHosts: ["vector-ha-lab-dev-balancer-1", "vector-ha-lab-dev-balancer-2"],
          }),
      ],
      [
        "agent, other ports",
        () => agentVectorConfig({ ...devAgentSpec, vectorPort: 20001, remoteWritePort: 20002 }),
      ],
      [
        "host agent",
        () =>
          hostAgentVectorConfig({
            ...devAgentSpec,
            agentName: "vector-ha-lab-dev-host-agent",
            balancerHost: "localhost",
            eventIntervalSecs: 1,
            tls: { caFile: pem.ca, crtFile: pem.crt, keyFile: pem.key },
          }),
      ],
    ];

    it.each(configs)("%s (--no-environment)", (_, render) => {
      const result = validate(render(), dir, "--no-environment");
      expect(result.problems).toEqual([]);
      expect(result.output).toContain("Validated");
      expect(result.status).toBe(0);
    });

    it("host agent, full validation in an empty folder (environment checks, no health checks)", () => {
      const cwd = fs.mkdtempSync(path.join(dir, "host-"));
      const result = validate(
        configs.find(([name]) => name === "host agent")![1](),
        cwd,
        "--skip-healthchecks",
      );
      expect(result.problems).toEqual([]);
      expect(result.status).toBe(0);
      // It keeps no state: Vector wrote nothing into the folder it was started in.
      expect(fs.readdirSync(cwd)).toEqual(["vector.yaml"]);
    });
  },
);
