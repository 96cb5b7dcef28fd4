import type { SetImage } from '../../store/types.js';
import type { CompiledMeta } from '../compiled-set.js';
import { EdgeMatcher, type EdgeOptions, type RecordSource } from './matcher.js';
import type { EdgeRecord } from './records.js';

const RANGE_SETS = ['block4', 'allow4', 'block6', 'allow6'] as const;

/** The sections of a stored version an edge gateway loads: the filter, the ranges, the pinned entries. */
export function isEdgeGatewaySection(name: string): boolean {
  return name === 'bloomBits' || name.startsWith('edge.') || /^(block|allow)[46]\.(starts|ends)$/.test(name);
}

function section(image: SetImage, name: string): Uint8Array {
  const bytes = image.sections[name];
  if (!bytes) throw new Error(`set version ${image.meta.version} lacks section ${name} (written by a syncer before edge gateways existed?)`);
  return bytes;
}

function words(image: SetImage, name: string): Uint32Array {
  const bytes = section(image, name);
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}

/** An edge matcher over a version loaded with `isEdgeGatewaySection`. */
export function edgeMatcherOf(image: SetImage, source: RecordSource, options: EdgeOptions): EdgeMatcher {
  const ranges = Object.fromEntries(
    RANGE_SETS.map((name) => [name, { starts: words(image, `${name}.starts`), ends: words(image, `${name}.ends`), entries: words(image, `edge.${name}.entries`) }]),
  ) as Record<(typeof RANGE_SETS)[number], { starts: Uint32Array; ends: Uint32Array; entries: Uint32Array }>;
  const pinned = JSON.parse(Buffer.from(section(image, 'edge.pinned')).toString('utf8')) as EdgeRecord[];
  return new EdgeMatcher({ meta: image.meta as unknown as CompiledMeta, bloomBits: section(image, 'bloomBits'), ...ranges, pinned }, source, options);
}
