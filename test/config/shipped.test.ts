import t from 'tap';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';

/** The object schema inside defaults, optionals and refinements, or undefined for a leaf. */
function objectShape(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as { _zod?: { def: { type: string; innerType?: unknown; in?: unknown; shape?: Record<string, unknown> } } } | undefined;
  for (let i = 0; i < 10 && s?._zod; i++) {
    const def = s._zod.def;
    if (def.type === 'object') return def.shape;
    s = (def.innerType ?? def.in) as typeof s;
  }
  return undefined;
}

/** Every key path of the schema's mappings (not inside lists or free-form maps) absent from `doc`. */
function missingKeys(schema: unknown, doc: unknown, path: string[] = []): string[] {
  const shape = objectShape(schema);
  if (!shape || typeof doc !== 'object' || doc === null || Array.isArray(doc)) return [];
  const out: string[] = [];
  for (const [key, child] of Object.entries(shape)) {
    if (!(key in doc)) out.push([...path, key].join('.'));
    else out.push(...missingKeys(child, (doc as Record<string, unknown>)[key], [...path, key]));
  }
  return out;
}

const here = (p: string) => fileURLToPath(new URL(`../../config/${p}`, import.meta.url));

t.test('the example config sets every key and loads', async (t) => {
  const config = loadConfig(here('sluice.example.yaml'));
  t.equal(config.feeds.length, 8);
  t.match(config.feeds[1], { format: 'csv', csv: { column: 'ioc_value', type_column: 'ioc_type', tag_columns: ['malware_printable'] } });
  t.match(config.allowlist, [{ path: here('allowlist.txt') }, { value: 'intranet.example.com', reason: 'our own services' }]);
  t.equal(config.dns.upstream_timeout, 2000);
  t.equal(config.sync.max_bytes, 64_000_000);
  const text = readFileSync(here('sluice.example.yaml'), 'utf8');
  // Optional parts that switch something on (a query log, an event sink) are shown commented out.
  const missing = missingKeys(configSchema, parse(text)).filter((k) => !new RegExp(`^\\s*# ${k.split('.').at(-1)}: `, 'm').test(text));
  t.same(missing, [], 'every key of the schema is set (or shown commented out) in the example');
});

t.test('the default config loads with its local list and allowlist', async (t) => {
  const config = loadConfig(here('sluice.yaml'));
  t.ok(config.feeds.some((f) => f.url === here('local-blocklist.txt')));
  t.same(config.dns.allow_clients, ['127.0.0.0/8', '::1/128'], 'never an open resolver by default');
  t.equal(config.http.listen, '127.0.0.1:8080');
});
