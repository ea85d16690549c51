/** The machine a benchmark ran on, in one line a report reader can compare with theirs. */
import * as os from "os";
import { docker } from "../dockerCli";

export function machineDescription(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.replace(/\s+/g, " ").trim() ?? "unknown CPU";
  const memory = (os.totalmem() / 2 ** 30).toFixed(0);
  let engine = "unknown";
  try {
    engine = docker("version", "--format", "{{.Server.Version}}");
  } catch {
    // reported as unknown
  }
  return `${cpus.length} CPUs (${model}), ${memory} GiB, Linux ${os.release()}, Docker engine ${engine}, Node ${process.version}`;
}
