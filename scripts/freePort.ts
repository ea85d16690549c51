import * as net from "net";

/**
 * `count` distinct TCP ports free now on every address (the kernel's picks). All are held until the
 * last is picked, so no two are the same; probing every address, not only loopback, because HAProxy
 * binds its frontends on all of them.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, resolve);
      });
    }
    return servers.map((server) => (server.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(
      servers.filter((s) => s.listening).map((s) => new Promise((resolve) => s.close(resolve))),
    );
  }
}

/** A TCP port free now, for a stack of a test's or a benchmark's own. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port;
}

/** The lab's three host ports, distinct and free now. */
export async function freeLabPorts(): Promise<{
  vectorPort: number;
  remoteWritePort: number;
  statsPort: number;
}> {
  const [vectorPort, remoteWritePort, statsPort] = await freePorts(3);
  return { vectorPort, remoteWritePort, statsPort };
}
