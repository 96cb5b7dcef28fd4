import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { SluiceError } from '../errors.js';
import type { AddressSet } from '../match/cidr/address-set.js';

/** verdict: ask for verdicts and lists; read: also feed status and explain; admin: also change things. */
export type Scope = 'verdict' | 'read' | 'admin';

const RANK: Record<Scope, number> = { verdict: 1, read: 2, admin: 3 };
/** Shortest secret accepted, from the config or the environment. */
const MIN_TOKEN_LENGTH = 16;

/** A configured token, its secret already read from the config or the environment. */
export interface TokenGrant {
  name: string;
  secret: string;
  scopes: Scope[];
  /** The highest TLP the holder may receive (TAXII server); clear when not given. */
  tlp?: string;
}

/** Who made a request: a token's name, or `loopback` where no token is configured. */
export interface Caller {
  name: string;
  rank: number;
  tlp: string;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Bearer tokens, compared in constant time: both sides are hashed first, so neither the length
 * nor the bytes of a configured token leak through timing. Every token is compared, whichever
 * matches.
 */
export class TokenAuth {
  private readonly grants: Array<{ name: string; hash: Buffer; rank: number; tlp: string }>;

  constructor(
    grants: readonly TokenGrant[],
    /** Clients that may read without a token while no token is configured at all. */
    private readonly localClients: AddressSet,
  ) {
    this.grants = grants.map((g) => ({ name: g.name, hash: digest(g.secret), rank: Math.max(...g.scopes.map((s) => RANK[s])), tlp: g.tlp ?? 'clear' }));
  }

  get configured(): boolean {
    return this.grants.length > 0;
  }

  /** The token's holder, or undefined when the header carries no token this gateway knows. */
  identify(authorization: string | undefined): Caller | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return undefined;
    const offered = digest(match[1]!);
    let found: Caller | undefined;
    for (const grant of this.grants) {
      if (timingSafeEqual(offered, grant.hash) && !found) found = { name: grant.name, rank: grant.rank, tlp: grant.tlp };
    }
    return found;
  }

  /**
   * Middleware: 401 without a known token, 403 with one that lacks the scope. With no token
   * configured, loopback clients may read (so a fresh install can look at its own status),
   * and nobody may change anything.
   */
  require(scope: Scope): MiddlewareHandler {
    return async (c, next) => {
      const header = c.req.header('authorization');
      if (!this.configured && header === undefined) {
        const client = clientAddress(c);
        if (RANK[scope] <= RANK.read && this.localClients.hasText(client)) {
          c.set('caller' as never, { name: 'loopback', rank: RANK.read, tlp: 'clear' } as never);
          return next();
        }
        c.header('WWW-Authenticate', 'Bearer realm="sluice"');
        throw new SluiceError('SLUICE_ERR_UNAUTHORIZED', `this route needs a token with scope ${scope}; configure http.tokens`);
      }
      const caller = this.identify(header);
      if (!caller) {
        c.header('WWW-Authenticate', 'Bearer realm="sluice"');
        throw new SluiceError('SLUICE_ERR_UNAUTHORIZED', header ? 'unknown token' : `this route needs a bearer token with scope ${scope}`);
      }
      if (caller.rank < RANK[scope]) throw new SluiceError('SLUICE_ERR_FORBIDDEN', `token ${caller.name} lacks scope ${scope}`);
      c.set('caller' as never, caller as never);
      return next();
    };
  }
}

/** The peer's address; '' when the request did not come over a socket (in-process tests). */
function clientAddress(c: Parameters<typeof getConnInfo>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? '';
  } catch {
    return '';
  }
}

/** The caller a `require` middleware let through. */
export function callerOf(c: { get: (key: never) => unknown }): Caller {
  return c.get('caller' as never) as Caller;
}

/**
 * Reads each configured token's secret. A token whose environment variable is unset is left
 * out with a warning naming the variable, never a value.
 */
export function resolveTokens(
  tokens: ReadonlyArray<{ name: string; token?: string | undefined; token_env?: string | undefined; scopes: Scope[]; tlp?: string }>,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): TokenGrant[] {
  const out: TokenGrant[] = [];
  for (const t of tokens) {
    const secret = t.token ?? env[t.token_env!];
    if (!secret) {
      warn(`token ${t.name}: environment variable ${t.token_env} is not set; this token is disabled`);
      continue;
    }
    // The same floor as a token written in the config: a short secret is guessable.
    if (secret.length < MIN_TOKEN_LENGTH) {
      warn(`token ${t.name}: the value of ${t.token_env} is shorter than ${MIN_TOKEN_LENGTH} characters; this token is disabled`);
      continue;
    }
    out.push({ name: t.name, secret, scopes: t.scopes, ...(t.tlp ? { tlp: t.tlp } : {}) });
  }
  return out;
}
