// The small set the named-list tests render: a feed of each kind, an exact-only RPZ name, tags,
// and an allowlisted name below a listed one.
import { configSchema } from '../../src/config/schema.js';
import type { EdlListConfig } from '../../src/edl/lists.js';
import { matcherFor, type TestFeed } from '../helpers/feeds.js';

export const HASH = 'ab'.repeat(32);

export const FEEDS: TestFeed[] = [
  {
    name: 'nets',
    format: 'text',
    type: 'ip',
    confidence: 90,
    // Two adjacent /25s, a network with an address inside it, two IPv6 halves of a /32 and an
    // address inside one of them.
    body: '192.0.2.0/25\n192.0.2.128/25\n198.51.100.0/24\n198.51.100.7\n203.0.113.9\n2001:db8::/33\n2001:db8:8000::/33\n2001:db8:ffff::1\n',
  },
  {
    name: 'doms',
    format: 'csv',
    type: 'domain',
    confidence: 80,
    csv: { column: 0, tag_columns: [1], header: false },
    body: 'bad.example.com,phishing\nevil.example.net,Malware\n',
  },
  {
    name: 'zone',
    format: 'rpz',
    confidence: 85,
    body: '$ORIGIN rpz.example.\n@ SOA localhost. hostmaster.localhost. ( 1 3600 600 86400 300 )\n  NS localhost.\nexact.example.org CNAME .\n',
  },
  { name: 'urls', format: 'text', type: 'url', confidence: 75, body: 'http://files.example.org/a.exe\nhttps://files.example.org/a.exe\n' },
  { name: 'hashes', format: 'text', type: 'sha256', confidence: 95, body: `${HASH}\n` },
  { name: 'weak', format: 'text', type: 'domain', confidence: 50, body: 'meh.example.com\n' },
];

export const ALLOW = 'good.bad.example.com\n';

export const sample = () => matcherFor(FEEDS, ALLOW);

/** A list config with the schema's defaults, as the config loader gives it. */
export function listConfig(partial: Record<string, unknown>): EdlListConfig {
  return configSchema.parse({ edl: [{ name: 'l', ...partial }] }).edl[0]!;
}

export const ALL_TYPES = ['ip', 'domain', 'url', 'hash'];
