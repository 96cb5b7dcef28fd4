import { createHash, timingSafeEqual } from 'node:crypto';
import type { EdlListConfig } from './lists.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Outcome of checking a request against a list's own credentials. */
export type ListAuthOutcome = 'ok' | 'denied' | 'misconfigured';

/**
 * A named list's own credentials (`auth:`): HTTP Basic with `username` and the password in
 * `password_env`, and/or a bearer token in `token_env`. Secrets are read from the environment
 * once, at start; only their digests are kept, and comparisons are in constant time (both
 * sides hashed first, so neither length nor bytes leak; every configured method is compared).
 * A variable that is unset, or an `auth:` that names no complete method, makes the list
 * misconfigured: it answers 503 with `problem`, which names the variable, never a value.
 */
export class ListAuth {
  readonly problem: string | undefined;
  private readonly basic: { user: Buffer; password: Buffer } | undefined;
  private readonly bearer: Buffer | undefined;

  constructor(list: EdlListConfig, env: NodeJS.ProcessEnv) {
    const auth = list.auth!;
    const problems: string[] = [];
    if ((auth.username === undefined) !== (auth.password_env === undefined)) {
      problems.push('basic auth needs both username and password_env');
    }
    if (auth.username === undefined && auth.token_env === undefined) {
      problems.push('auth names no method (give username with password_env, or token_env)');
    }
    const password = auth.password_env === undefined ? undefined : env[auth.password_env];
    const token = auth.token_env === undefined ? undefined : env[auth.token_env];
    if (auth.password_env !== undefined && !password) problems.push(`environment variable ${auth.password_env} (password_env) is not set`);
    if (auth.token_env !== undefined && !token) problems.push(`environment variable ${auth.token_env} (token_env) is not set`);
    this.problem = problems.length > 0 ? `list ${list.name}: ${problems.join('; ')}` : undefined;
    this.basic = auth.username !== undefined && password ? { user: digest(auth.username), password: digest(password) } : undefined;
    this.bearer = token ? digest(token) : undefined;
  }

  /** The challenges a 401 carries, one per configured method. */
  get challenges(): string[] {
    const out: string[] = [];
    if (this.basic) out.push('Basic realm="sluice", charset="UTF-8"');
    if (this.bearer) out.push('Bearer realm="sluice"');
    return out;
  }

  check(authorization: string | undefined): ListAuthOutcome {
    if (this.problem) return 'misconfigured';
    const header = authorization ?? '';
    let ok = false;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer && this.bearer) ok = timingSafeEqual(digest(bearer[1]!), this.bearer);
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (basic && this.basic) {
      const text = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon >= 0) {
        // Both halves are always compared, so a right name with a wrong password takes as long as any miss.
        const user = timingSafeEqual(digest(text.slice(0, colon)), this.basic.user);
        const password = timingSafeEqual(digest(text.slice(colon + 1)), this.basic.password);
        ok = user && password;
      }
    }
    return ok ? 'ok' : 'denied';
  }
}
