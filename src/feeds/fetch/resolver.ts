import { lookup as systemLookup, Resolver, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

let resolver: Resolver | undefined;

/**
 * Feed hosts are resolved through these resolvers (the gateway's own upstreams), never through
 * the system resolver: on a host whose resolver is this gateway, a feed listing its own
 * publisher's name would otherwise cut the gateway off from its feeds. Empty: the system's.
 */
export function useFeedResolvers(servers: readonly string[]): void {
  if (servers.length === 0) {
    resolver = undefined;
    return;
  }
  resolver = new Resolver({ timeout: 3000, tries: 2 });
  resolver.setServers([...servers]);
}

/** A `lookup` for sockets: the configured resolvers, both families, as net.connect expects. */
export const feedLookup: LookupFunction = (hostname, options, callback) => {
  const r = resolver;
  if (!r || isIP(hostname)) return systemLookup(hostname, options, callback as never);
  const want = typeof options === 'object' ? options : {};
  void resolveBoth(r, hostname, want.family).then(
    (addresses) => {
      if (addresses.length === 0) {
        const err = Object.assign(new Error(`${hostname}: no address from the feed resolvers ${r.getServers().join(', ')} (dns.upstream)`), { code: 'ENOTFOUND' });
        return callback(err, '', 0);
      }
      if (want.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    },
    (err: Error) => callback(err as NodeJS.ErrnoException, '', 0),
  );
};

async function resolveBoth(r: Resolver, hostname: string, family: number | string | undefined): Promise<LookupAddress[]> {
  const fam = family === 'IPv4' ? 4 : family === 'IPv6' ? 6 : Number(family ?? 0);
  const ask = (fn: 'resolve4' | 'resolve6', f: 4 | 6) =>
    new Promise<LookupAddress[]>((resolve) => r[fn](hostname, (err, list) => resolve(err ? [] : list.map((address) => ({ address, family: f })))));
  const [v4, v6] = await Promise.all([fam === 6 ? [] : ask('resolve4', 4), fam === 4 ? [] : ask('resolve6', 6)]);
  return [...v4, ...v6];
}
