import type { AddressSet } from '../../match/cidr/address-set.js';

/** A request header by lower-case name, as hono's `c.req.header` reads it. */
export type HeaderOf = (name: string) => string | undefined;

/** What a proxy's auth subrequest asks about; undefined where the proxy sent nothing to read. */
export interface Asked {
  client: string | undefined;
  url: string | undefined;
  forwardedHost: string | undefined;
  /** Last resort for the host: behind nginx and Traefik it names sluice itself. */
  hostHeader: string | undefined;
}

/**
 * Reads the auth subrequest. Only the client address crosses a trust boundary: a client that
 * reaches sluice directly may claim any URL or host, but then it only learns sluice's verdict
 * on what it claimed, so those headers are read from anyone. X-Forwarded-For and X-Real-IP
 * are read only from a trusted proxy, or a listed client could pose as any other address.
 */
export function readAsked(peer: string, header: HeaderOf, trusted: AddressSet): Asked {
  return {
    client: clientOf(peer, header, trusted),
    url: urlOf(header),
    forwardedHost: last(header('x-forwarded-host')),
    hostHeader: header('host')?.trim() || undefined,
  };
}

function clientOf(peer: string, header: HeaderOf, trusted: AddressSet): string | undefined {
  if (!trusted.hasText(peer)) return peer || undefined;
  // Each proxy appends the address it saw, so only the right end is vouched for: walk left
  // past our own proxies; anything further left is whatever the client chose to send.
  const hops = (header('x-forwarded-for') ?? '').split(',').map(bareAddress).filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trusted.hasText(hops[i]!)) return hops[i];
  }
  if (hops.length) return hops[0];
  return bareAddress(header('x-real-ip') ?? '') || peer;
}

/** Some proxies write `1.2.3.4:5678` or `[2001:db8::1]:443` into X-Forwarded-For. */
function bareAddress(text: string): string {
  const t = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(t);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(t);
  return v4 ? v4[1]! : t;
}

/** nginx sends X-Original-URL (as the snippet sets it); Traefik and Caddy send the pieces. */
function urlOf(header: HeaderOf): string | undefined {
  const original = header('x-original-url')?.trim() || undefined;
  // IIS-style proxies put only the path in X-Original-URL.
  if (original && !original.startsWith('/')) return original;
  const uri = original ?? (header('x-forwarded-uri')?.trim() || undefined);
  const host = last(header('x-forwarded-host')) ?? (header('host')?.trim() || undefined);
  if (!uri || !host) return undefined;
  const proto = (last(header('x-forwarded-proto')) ?? 'http').toLowerCase();
  // Traefik names WebSocket upgrades ws/wss; the listed URL is the http(s) one.
  const scheme = proto === 'wss' ? 'https' : proto === 'ws' ? 'http' : proto;
  return `${scheme}://${host}${uri.startsWith('/') ? '' : '/'}${uri}`;
}

/**
 * The right-most element of a header a chain of proxies may have appended to: the one the
 * proxy next to sluice wrote, not one the client may have sent.
 */
function last(value: string | undefined): string | undefined {
  const parts = (value ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  return parts[parts.length - 1];
}

/** `host:port` or `[v6]:port` without the port, as a name or address to look up. */
export function hostname(host: string): string {
  const t = host.trim();
  if (t.startsWith('[')) {
    const end = t.indexOf(']');
    return end > 0 ? t.slice(1, end) : t;
  }
  const colon = t.indexOf(':');
  return colon >= 0 && colon === t.lastIndexOf(':') ? t.slice(0, colon) : t;
}
