/**
 * The plain DNS upstreams of the config, in the form node's Resolver takes ("9.9.9.9:53",
 * "[2620:fe::fe]:53"). DNS-over-HTTPS upstreams cannot resolve a feed host before there is a
 * connection to them, so they are left out; with none left, the system resolver is used.
 */
export function resolverAddresses(upstreams: readonly string[]): string[] {
  return upstreams.filter((u) => !/^https:/i.test(u));
}
