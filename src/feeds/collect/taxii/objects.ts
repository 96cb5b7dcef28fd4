import { createHash } from 'node:crypto';
import { isObject, type Json } from './request.js';

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/;

export function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && TIMESTAMP.test(value);
}

/**
 * Orders two RFC 3339 UTC timestamps (as TAXII and STIX write them) without going through
 * Date, which would drop the microseconds some servers give.
 */
export function compareTimestamps(a: string, b: string): number {
  const [, secA = '', fracA = ''] = TIMESTAMP.exec(a) ?? [];
  const [, secB = '', fracB = ''] = TIMESTAMP.exec(b) ?? [];
  if (secA !== secB) return secA < secB ? -1 : 1;
  const width = Math.max(fracA.length, fracB.length);
  const fa = fracA.padEnd(width, '0');
  const fb = fracB.padEnd(width, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

function versionOf(obj: Json): string | undefined {
  const v = obj.modified ?? obj.created;
  return isTimestamp(v) ? v : undefined;
}

/**
 * STIX objects by id, each at its newest version: a page that repeats an object (an overlap at
 * an added_after boundary) or an older version of it changes nothing. Objects keep the order in
 * which their ids first came.
 */
export class ObjectSet {
  private readonly byKey = new Map<string, Json>();

  /** Whether the set changed. */
  add(obj: Json): boolean {
    const key = typeof obj.id === 'string' ? obj.id : JSON.stringify(obj);
    const held = this.byKey.get(key);
    if (held) {
      const [was, now] = [versionOf(held), versionOf(obj)];
      // Without versions to compare, the newer answer is the better one.
      const newer = was === undefined || now === undefined ? JSON.stringify(held) !== JSON.stringify(obj) : compareTimestamps(now, was) > 0;
      if (!newer) return false;
    }
    this.byKey.set(key, obj);
    return true;
  }

  get size(): number {
    return this.byKey.size;
  }

  values(): IterableIterator<Json> {
    return this.byKey.values();
  }

  /**
   * A STIX 2.1 bundle of the objects. Its id is derived from the objects (name-based), so the
   * same collection gives the same bytes and an unchanged feed is seen as unchanged.
   */
  toBundle(): Buffer {
    const objects = JSON.stringify([...this.byKey.values()]);
    const h = createHash('sha256').update(objects).digest('hex');
    const variant = ((parseInt(h[16]!, 16) & 3) | 8).toString(16);
    const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    return Buffer.from(`{"type":"bundle","id":"bundle--${id}","objects":${objects}}`, 'utf8');
  }

  /** The objects of a bundle this collector wrote; undefined when it is not one. */
  static fromBundle(body: Buffer | undefined): ObjectSet | undefined {
    if (!body) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return undefined;
    }
    if (!isObject(json) || !Array.isArray(json.objects)) return undefined;
    const set = new ObjectSet();
    for (const obj of json.objects) if (isObject(obj)) set.add(obj);
    return set;
  }
}
