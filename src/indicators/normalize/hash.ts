import { BadValueError } from '../../errors.js';
import type { Canonical, TypeHint } from '../types.js';

const HASH_TYPE_BY_LENGTH: Record<number, 'md5' | 'sha1' | 'sha256'> = {
  32: 'md5',
  40: 'sha1',
  64: 'sha256',
};

/** Lowercase hex; the type follows from the length, and must agree with a specific hint. */
export function normalizeHash(raw: string, text: string, hint: TypeHint): Canonical {
  if (!/^[0-9a-fA-F]+$/.test(text)) throw new BadValueError(raw, 'hash is not hexadecimal');
  const type = HASH_TYPE_BY_LENGTH[text.length];
  if (!type) throw new BadValueError(raw, `no hash type is ${text.length} hex digits long`);
  if (hint !== 'hash' && hint !== type) throw new BadValueError(raw, `not a ${hint} hash`);
  return { type, value: text.toLowerCase() };
}
