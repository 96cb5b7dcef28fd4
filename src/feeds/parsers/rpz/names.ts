/**
 * Owner names of a policy zone. The zone apex (its name) is what every owner is relative to:
 * the trigger is the owner with the apex cut off. The apex is the configured origin, else the
 * first `$ORIGIN`, else the owner of the first SOA when that is absolute. `$ORIGIN` may move
 * later on, for relative names only; the apex stays.
 */

/** A resolved owner: lower-case, no final dot. `fq` once an origin or a final dot anchored it. */
export interface OwnerName {
  text: string;
  fq: boolean;
}

export type TriggerName =
  | { kind: 'name'; name: string }
  | { kind: 'apex' }
  | { kind: 'outside'; reason: string };

/** Lower-case, without the final dot; the root is ''. */
function canonical(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function join(relative: string, origin: string): string {
  return origin === '' ? relative : `${relative}.${origin}`;
}

export class ZoneNames {
  private apex: string | undefined;
  private origin: string | undefined;

  constructor(configured: string | undefined) {
    if (configured?.trim()) this.apex = this.origin = canonical(configured.trim());
  }

  resolve(token: string): OwnerName {
    if (token === '@') return this.origin === undefined ? { text: '', fq: false } : { text: this.origin, fq: true };
    if (token.endsWith('.') && !token.endsWith('\\.')) return { text: canonical(token), fq: true };
    const text = token.toLowerCase();
    return this.origin === undefined ? { text, fq: false } : { text: join(text, this.origin), fq: true };
  }

  /** `$ORIGIN`: returns an error reason, or undefined. */
  setOrigin(token: string | undefined): string | undefined {
    if (token === undefined) return '$ORIGIN without a name';
    const name = this.resolve(token);
    if (!name.fq) return 'relative $ORIGIN with no origin to append it to';
    this.origin = name.text;
    this.apex ??= name.text;
    return undefined;
  }

  noteSoa(owner: OwnerName): void {
    if (this.apex !== undefined || !owner.fq) return;
    this.apex = this.origin = owner.text;
  }

  trigger(owner: OwnerName): TriggerName {
    // No origin anywhere (a zone file meant to be loaded under a name the server gives it):
    // relative owners are the trigger names as written.
    if (!owner.fq) return owner.text === '' ? { kind: 'apex' } : { kind: 'name', name: owner.text };
    const apex = this.apex;
    if (apex === undefined) {
      return { kind: 'outside', reason: 'absolute owner name in a zone of unknown origin (set rpz.origin)' };
    }
    if (owner.text === apex) return { kind: 'apex' };
    if (apex === '') return { kind: 'name', name: owner.text };
    if (owner.text.endsWith(`.${apex}`)) return { kind: 'name', name: owner.text.slice(0, -apex.length - 1) };
    return { kind: 'outside', reason: `owner name outside the zone ${apex}` };
  }
}
