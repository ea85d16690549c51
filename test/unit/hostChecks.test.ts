/**
 * The host checks' verdicts on made-up host facts (the real probe is exercised by test/lab/badInput.test.ts).
 * Each refusal names the setting, its value (and whether it is a default) and what is allowed.
 */
import { hostProblems, type HostProbe } from "../../components/hostChecks";
import { labNaming } from "../../components/naming";
import { parseLabConfig, type RawSettings } from "../../components/settings";

const naming = labNaming("vector-ha-lab", "dev");

/** A host with Docker up, 127.0.0.1 and 10.0.0.5, every port free, the given images present. */
function fakeHost(overrides: Partial<HostProbe> = {}): HostProbe {
  return {
    dockerEndpoint: "unix:///var/run/docker.sock",
    dockerPing: async () => undefined,
    hostAddresses: () => ["127.0.0.1", "10.0.0.5"],
    portHolder: async () => undefined,
    containersPublishing: async () => [],
    imageExists: async () => true,
    swarmManagerProblem: async () => undefined,
    ...overrides,
  };
}

const problemsFor = (raw: RawSettings, probe: HostProbe) =>
  hostProblems(parseLabConfig(raw), raw, naming, probe);

describe("host checks before anything is created", () => {
  it("let a ready host through", async () => {
    expect(await problemsFor({}, fakeHost())).toEqual([]);
    expect(await problemsFor({ hostBindAddress: "0.0.0.0" }, fakeHost())).toEqual([]);
    expect(await problemsFor({ hostBindAddress: "10.0.0.5" }, fakeHost())).toEqual([]);
  });

  it("refuse a bind address this host does not have, listing the ones it has", async () => {
    expect(await problemsFor({ hostBindAddress: "192.0.2.7" }, fakeHost())).toEqual([
      'hostBindAddress: got "192.0.2.7"; allowed: an IPv4 address of this host (127.0.0.1, 10.0.0.5) or 0.0.0.0 for all',
    ]);
  });

  it("refuse a port another program holds, saying when the value is the default", async () => {
    const probe = fakeHost({
      portHolder: async (_, port) => (port === 8404 ? "another program" : undefined),
    });
    expect(await problemsFor({}, probe)).toEqual([
      'statsPort: "8404" (its default); allowed: a port free on 127.0.0.1, and 8404 is in use there (another program): set another or stop what holds it',
    ]);
  });

  it("name the container that publishes a port, unless it is this stack's own balancer", async () => {
    const other = fakeHost({
      containersPublishing: async (port) => (port === 19093 ? ["someone-elses-proxy"] : []),
      portHolder: async (_, port) => (port === 19093 ? "another program" : undefined),
    });
    expect(await problemsFor({ vectorPort: "19093" }, other)).toEqual([
      'vectorPort: got "19093"; allowed: a port free on 127.0.0.1, and 19093 is in use there (container someone-elses-proxy): set another or stop what holds it',
    ]);
    const own = fakeHost({
      containersPublishing: async () => [naming.balancerContainerName],
      portHolder: async () => "another program",
    });
    expect(await problemsFor({}, own)).toEqual([]);
  });

  it("refuse when no Docker engine answers, naming where it looked, and check nothing that needs it", async () => {
    let askedForPorts = false;
    const probe = fakeHost({
      dockerEndpoint: "unix:///tmp/no-docker.sock",
      dockerPing: async () => "connect ENOENT /tmp/no-docker.sock",
      portHolder: async () => {
        askedForPorts = true;
        return undefined;
      },
    });
    const problems = await problemsFor({}, probe);
    expect(problems).toEqual([
      "Docker: no engine answers at unix:///tmp/no-docker.sock (connect ENOENT /tmp/no-docker.sock); allowed: a running Docker engine (scripts/prepare-machine.sh starts one on a lab machine) or DOCKER_HOST naming one",
    ]);
    expect(askedForPorts).toBe(false);
  });

  it("refuse a local image that is missing when nothing may be pulled, and only then", async () => {
    const probe = fakeHost({ imageExists: async (ref) => ref !== "vector-ha-lab/vector:0.57.0-debian" });
    const local = { useLocalImages: "true", vectorImage: "vector-ha-lab/vector:0.57.0-debian" };
    expect(await problemsFor(local, probe)).toEqual([
      'vectorImage: got "vector-ha-lab/vector:0.57.0-debian"; allowed: an image in the local engine, since useLocalImages is true and nothing is pulled (scripts/prepare-machine.sh builds the lab\'s images)',
    ]);
    expect(await problemsFor({ vectorImage: "vector-ha-lab/vector:0.57.0-debian" }, probe)).toEqual([]);
  });

  it("report every problem at once", async () => {
    const probe = fakeHost({
      portHolder: async () => "another program",
      imageExists: async () => false,
    });
    expect(await problemsFor({ useLocalImages: "true" }, probe)).toHaveLength(5);
  });

  describe("on the swarm target", () => {
    const swarm = { target: "swarm", dockerHost: "unix:///run/manager.sock" };

    it("ask only that dockerHost manages a Swarm: the host's ports and images are not its", async () => {
      let asked: string | undefined;
      const probe = fakeHost({
        portHolder: async () => "another program",
        imageExists: async () => false,
        swarmManagerProblem: async (host) => {
          asked = host;
          return undefined;
        },
      });
      expect(await problemsFor({ ...swarm, useLocalImages: "true" }, probe)).toEqual([]);
      expect(asked).toBe("unix:///run/manager.sock");
    });

    it("refuse an engine that manages no Swarm, naming the setting and how to get one", async () => {
      const probe = fakeHost({
        swarmManagerProblem: async () => "that engine is in no Swarm (its swarm state is inactive)",
      });
      expect(await problemsFor(swarm, probe)).toEqual([
        'dockerHost: got "unix:///run/manager.sock"; allowed: the Docker endpoint of a Swarm manager, and that engine is in no Swarm (its swarm state is inactive) (npm run lab -- cluster up makes a local Swarm and prints its endpoint)',
      ]);
      expect(await problemsFor({ target: "swarm" }, probe)).toEqual([
        'dockerHost: "" (its default); allowed: the Docker endpoint of a Swarm manager, and that engine is in no Swarm (its swarm state is inactive) (npm run lab -- cluster up makes a local Swarm and prints its endpoint)',
      ]);
    });
  });
});
