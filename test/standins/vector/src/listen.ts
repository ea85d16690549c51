import type * as net from "net";
import { splitAddress } from "./config";
import { log } from "./log";

/** Starts `server` on a config `host:port` address and logs what it serves there once it listens. */
export function listen(server: net.Server, address: string, what: string): Promise<void> {
  const { host, port } = splitAddress(address);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      log.info(`${what} on ${address}`);
      resolve();
    });
  });
}
