/**
 * Entry point of the Vector stand-in (see ../README.md): reads vector.yaml, refuses anything it does not
 * implement, starts sinks, the API and sources, and stops cleanly on SIGTERM/SIGINT.
 */
import * as path from "path";
import { vectorPaths } from "../../../../components/constants";
import { Api, defaultApiAddress } from "./api";
import { ConfigError, configPathFrom, loadConfig, unreadSources, type StandinConfig } from "./config";
import { FileSource } from "./fileSource";
import { describeError, log, programName } from "./log";
import { Pipeline, type Component, type Sink } from "./pipeline";
import { RemoteWriteReceiver, VectorReceiver } from "./receivers";
import { remoteWriteSink, vectorSink } from "./senders";
import { ExporterSink, FileSink } from "./sinks";
import { DemoLogs, HostMetrics, InternalMetrics } from "./sources";

/** Exit code for a config the stand-in refuses (EX_CONFIG, as Vector uses). */
const exitConfig = 78;
/** SIGTERM must end the process within about 2 s; after this, it exits regardless. */
const stopDeadlineMs = 1_500;

interface Running {
  sources: Component[];
  sinks: Component[];
  api?: Api;
}

function build(config: StandinConfig): Running {
  const sourceTypes = Object.fromEntries(
    Object.entries(config.sources).map(([id, source]) => [id, source.type]),
  );
  const pipeline = new Pipeline(sourceTypes);
  // A relative data_dir (the host agent's ".") is the working directory's; nothing is written there
  // unless a component needs it (a disk buffer, a file source's checkpoints).
  const dataDir = config.data_dir === undefined ? undefined : path.resolve(config.data_dir);
  const sinks: Component[] = [];
  for (const [id, sink] of Object.entries(config.sinks)) {
    let built: Component & Sink;
    switch (sink.type) {
      case "file":
        built = new FileSink(id, sink);
        break;
      case "prometheus_exporter":
        built = new ExporterSink(id, sink);
        break;
      case "vector":
        built = vectorSink(id, sink, dataDir);
        break;
      case "prometheus_remote_write":
        built = remoteWriteSink(id, sink, dataDir);
        break;
    }
    pipeline.connect(id, built, sink.inputs);
    sinks.push(built);
  }
  const sources: Component[] = Object.entries(config.sources).map(([id, source]): Component => {
    switch (source.type) {
      case "vector":
        return new VectorReceiver(id, source, pipeline);
      case "prometheus_remote_write":
        return new RemoteWriteReceiver(id, source, pipeline);
      case "demo_logs":
        return new DemoLogs(id, source, pipeline);
      case "file":
        // Validation made sure data_dir is set for a file source.
        return new FileSource(id, source, pipeline, dataDir ?? ".");
      case "host_metrics":
        return new HostMetrics(id, source, pipeline);
      case "internal_metrics":
        return new InternalMetrics(id, pipeline);
    }
  });
  const api = config.api?.enabled ? new Api(config.api.address ?? defaultApiAddress) : undefined;
  return { sources, sinks, api };
}

async function stop(running: Running, signal: string): Promise<void> {
  log.info(`received ${signal}, stopping`);
  const deadline = setTimeout(() => {
    log.warn(`not stopped within ${stopDeadlineMs} ms, exiting anyway`);
    process.exit(0);
  }, stopDeadlineMs);
  running.api?.shuttingDown();
  // Sources first (nothing new comes in), then sinks (buffers closed; disk buffers are always
  // written through), then the API.
  await Promise.allSettled(running.sources.map((component) => component.stop()));
  await Promise.allSettled(running.sinks.map((component) => component.stop()));
  await running.api?.stop();
  clearTimeout(deadline);
  log.info("stopped");
  process.exit(0);
}

async function main(): Promise<void> {
  let running: Running;
  let configPath = "";
  try {
    configPath = configPathFrom(process.argv.slice(2), process.env, vectorPaths.config);
    const config = loadConfig(configPath);
    running = build(config);
    log.info(
      `a stand-in for timberio/vector:0.57.0-debian (a test double, not Vector) reading ${configPath}: ` +
        `sources ${Object.keys(config.sources).join(", ")}; sinks ${Object.keys(config.sinks).join(", ")}`,
    );
    for (const id of unreadSources(config)) log.warn(`sources.${id}: no sink reads it`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`${programName}: ${problem}\n`);
    const where = configPath ? ` in ${configPath}` : "";
    process.stderr.write(`${programName}: refusing to start: ${error.problems.length} problem(s)${where}\n`);
    process.exit(exitConfig);
  }
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stop(running, signal);
    });
  }
  try {
    for (const sink of running.sinks) await sink.start();
    await running.api?.start();
    for (const source of running.sources) await source.start();
  } catch (error) {
    log.error(`cannot start: ${describeError(error)}`);
    process.exit(1);
  }
  log.info("started");
}

process.on("unhandledRejection", (reason) => log.error(`unhandled: ${describeError(reason)}`));
main().catch((error: unknown) => {
  log.error(`fatal: ${describeError(error)}`);
  process.exit(1);
});
