/**
 * The one rule for how the host reaches the balancer's published ports. Pure.
 *
 * Ports are published on `hostBindAddress`. Every aggregator certificate names `localhost` and
 * 127.0.0.1, so a process on the host dials `localhost` when the ports are on loopback or on every
 * interface; any other address is dialled as it is, and is then added to the certificates.
 */

/** The name a process on the host dials to reach the published ports. */
export function hostDialAddress(hostBindAddress: string): string {
  return isLoopbackOrAny(hostBindAddress) ? "localhost" : hostBindAddress;
}

/** IP addresses every aggregator certificate names so that host clients can verify it. */
export function certificateIpAddresses(hostBindAddress: string): string[] {
  return isLoopbackOrAny(hostBindAddress) ? ["127.0.0.1"] : ["127.0.0.1", hostBindAddress];
}

function isLoopbackOrAny(address: string): boolean {
  return address === "0.0.0.0" || address === "127.0.0.1";
}
