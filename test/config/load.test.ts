// Config loading: every bad config is refused at start-up with SLUICE_ERR_CONFIG and a message
// that names the file, the line and the key path, so an operator can go straight to the fault.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { loadConfig, parseConfig } from '../../src/config/load.js';

const FEED = [
  'feeds:',
  '  - name: f1',
  '    url: https://feeds.example.com/a.txt',
  '    format: text',
].join('\n');

interface BadCase {
  name: string;
  yaml: string;
  /** Key path as the message must show it, or undefined where YAML itself is broken. */
  path?: string;
  line: number;
  why: RegExp;
}

const BAD: BadCase[] = [
  {
    name: 'an unknown key at the top level',
    yaml: 'data_dir: ./d\nlisten: 127.0.0.1:53\n',
    path: 'listen',
    line: 2,
    why: /unknown key listen/,
  },
  {
    name: 'a misspelt nested key (dns.listn)',
    yaml: 'dns:\n  block_response: nxdomain\n  listn: ["127.0.0.1:53"]\n',
    path: 'dns.listn',
    line: 3,
    why: /unknown key listn/,
  },
  {
    name: 'an unknown key inside a feed',
    yaml: `${FEED}\n    confidenc: 80\n`,
    path: 'feeds[0].confidenc',
    line: 5,
    why: /unknown key confidenc/,
  },
  {
    name: 'an unknown key inside a feed\'s csv options',
    yaml: `${FEED}\n    csv:\n      colum: url\n`,
    path: 'feeds[0].csv.colum',
    line: 6,
    why: /unknown key colum/,
  },
  {
    name: 'a string where a number belongs',
    yaml: 'policy:\n  block_at: "seventy"\n',
    path: 'policy.block_at',
    line: 2,
    why: /expected number/,
  },
  {
    name: 'a mapping where the feed list belongs',
    yaml: 'log:\n  level: info\nfeeds:\n  name: f1\n',
    path: 'feeds',
    line: 3,
    why: /expected array/,
  },
  {
    name: 'a remote feed polled more often than every 10s',
    yaml: `${FEED}\n    interval: 5s\n`,
    path: 'feeds[0].interval',
    line: 5,
    why: /at least 10s for a remote feed/,
  },
  {
    name: 'a local feed re-read more often than every second',
    yaml: 'feeds:\n  - name: f1\n    url: ./list.txt\n    format: text\n    interval: 500ms\n',
    path: 'feeds[0].interval',
    line: 5,
    why: /at least 1s for a local feed/,
  },
  {
    name: 'a bad duration (interval: soon)',
    yaml: `${FEED}\n    interval: soon\n`,
    path: 'feeds[0].interval',
    line: 5,
    why: /interval must be a duration such as 30s/,
  },
  {
    name: 'a negative duration',
    yaml: 'sync:\n  timeout: -5\n',
    path: 'sync.timeout',
    line: 2,
    why: /timeout must be a duration/,
  },
  {
    name: 'a bad size',
    yaml: 'sync:\n  retries: 2\n  max_bytes: lots\n',
    path: 'sync.max_bytes',
    line: 3,
    why: /must be a size such as 512KB/,
  },
  {
    name: 'a bad feed size override',
    yaml: `${FEED}\n    max_bytes: 12 parsecs\n`,
    path: 'feeds[0].max_bytes',
    line: 5,
    why: /must be a size/,
  },
  {
    name: 'a listen address without a port',
    yaml: 'http:\n  listen: "127.0.0.1"\n',
    path: 'http.listen',
    line: 2,
    why: /must be address:port/,
  },
  {
    name: 'a listen port over 65535',
    yaml: 'dns:\n  listen:\n    - "127.0.0.1:5353"\n    - "127.0.0.1:99999"\n',
    path: 'dns.listen[1]',
    line: 4,
    why: /must be address:port/,
  },
  {
    name: 'an IPv6 listen address without brackets',
    yaml: 'http:\n  listen: "::1:8080"\n',
    path: 'http.listen',
    line: 2,
    why: /must be address:port/,
  },
  {
    name: 'an upstream given as a host name',
    yaml: 'dns:\n  upstream: ["9.9.9.9:53", "dns.google:53"]\n',
    path: 'dns.upstream[1]',
    line: 2,
    why: /must be an address and port, such as 9.9.9.9:53 or \[2620:fe::fe\]:53, or an https:\/\/ DNS-over-HTTPS URL/,
  },
  {
    name: 'an empty upstream list',
    yaml: 'dns:\n  upstream: []\n',
    path: 'dns.upstream',
    line: 2,
    why: /expected array to have >=1 items/,
  },
  {
    name: 'duplicate feed names',
    yaml: `${FEED}\n  - name: f1\n    url: https://feeds.example.com/b.txt\n    format: text\n`,
    path: 'feeds[1].name',
    line: 5,
    why: /duplicate feed name f1/,
  },
  {
    name: 'a feed URL with a scheme other than http and https',
    yaml: 'feeds:\n  - name: f1\n    format: text\n    url: ftp://feeds.example.com/a.txt\n',
    path: 'feeds[0].url',
    line: 4,
    why: /only http, https and local paths/,
  },
  {
    name: 'an unsupported format',
    yaml: 'feeds:\n  - name: f1\n    url: https://feeds.example.com/a.xml\n    format: openioc\n',
    path: 'feeds[0].format',
    line: 4,
    why: /expected one of "text"\|"hosts"\|"adblock"\|"csv"\|"json"\|"stix"\|"taxii"\|"misp"\|"rpz"/,
  },
  {
    name: 'a TAXII feed without its collection',
    yaml: 'feeds:\n  - name: f1\n    url: https://taxii.example.com/api1/\n    format: taxii\n',
    path: 'feeds[0].taxii',
    line: 2,
    why: /format taxii needs taxii: \{collection: ID\}/,
  },
  {
    name: 'an unknown type hint',
    yaml: `${FEED}\n    type: email\n`,
    path: 'feeds[0].type',
    line: 5,
    why: /expected one of/,
  },
  {
    name: 'a feed name with a space',
    yaml: 'feeds:\n  - name: "my feed"\n    url: https://feeds.example.com/a.txt\n    format: text\n',
    path: 'feeds[0].name',
    line: 2,
    why: /must be 1-64 letters/,
  },
  {
    name: 'a confidence over 100',
    yaml: `${FEED}\n    confidence: 101\n`,
    path: 'feeds[0].confidence',
    line: 5,
    why: /<=100/,
  },
  {
    name: 'monitor_at above block_at',
    yaml: 'policy:\n  block_at: 50\n  monitor_at: 80\n',
    path: 'policy.monitor_at',
    line: 3,
    why: /must not exceed block_at/,
  },
  {
    name: 'a sinkhole IPv4 that is an IPv6 address',
    yaml: 'dns:\n  sinkhole:\n    ipv4: "::1"\n',
    path: 'dns.sinkhole.ipv4',
    line: 3,
    why: /IPv4/,
  },
  {
    name: 'a client allowance that is not a CIDR',
    yaml: 'dns:\n  allow_clients: ["10.0.0.1"]\n',
    path: 'dns.allow_clients[0]',
    line: 2,
    why: /must be a CIDR/,
  },
  {
    name: 'an edge gateway without the Redis store',
    yaml: 'redis:\n  gateway:\n    memory: edge\n',
    path: 'redis.gateway.memory',
    line: 3,
    why: /edge needs store: redis/,
  },
  {
    name: 'an unknown unconfirmed policy',
    yaml: 'store: redis\nredis:\n  gateway:\n    unconfirmed: deny\n',
    path: 'redis.gateway.unconfirmed',
    line: 4,
    why: /allow|block/,
  },
  {
    name: 'a cluster prefix whose first braces are empty (Redis then hashes the whole key)',
    yaml: 'store: redis\nredis:\n  cluster: { nodes: ["127.0.0.1:7000"] }\n  prefix: "{}x{y}:"\n',
    path: 'redis.prefix',
    line: 4,
    why: /hash tag/,
  },
  {
    name: 'an error share over 1',
    yaml: 'sync:\n  max_invalid_share: 2\n',
    path: 'sync.max_invalid_share',
    line: 2,
    why: /<=1/,
  },
];

t.test('bad configs are refused naming the file, the line and the key path', async (t) => {
  for (const c of BAD) {
    let err: unknown;
    try {
      parseConfig(c.yaml, 'test.yaml');
    } catch (e) {
      err = e;
    }
    t.match(err, { name: 'ConfigError', code: 'SLUICE_ERR_CONFIG' }, `${c.name}: a ConfigError`);
    const message = (err as Error | undefined)?.message ?? '';
    t.match(message, /^test\.yaml: /, `${c.name}: names the file`);
    t.match(message, new RegExp(`line ${c.line}: ${escape(c.path!)}: `), `${c.name}: line ${c.line}, ${c.path}`);
    t.match(message, c.why, `${c.name}: says why`);
  }
});

t.test('every problem is reported at once, each with its own line', async (t) => {
  const yaml = 'dns:\n  listn: 1\nhttp:\n  lisen: 2\n';
  t.throws(() => parseConfig(yaml, 'test.yaml'), {
    code: 'SLUICE_ERR_CONFIG',
    message: /line 2: dns\.listn: unknown key listn; line 4: http\.lisen: unknown key lisen/,
  });
});

t.test('YAML syntax errors name the file and the line', async (t) => {
  const cases: Array<[string, string, number, RegExp]> = [
    ['an unclosed flow sequence', 'dns:\n  listen: ["127.0.0.1:53"\nhttp:\n  listen: 1\n', 3, /YAML syntax/],
    ['a badly indented key', 'dns:\n  block_ttl: 5\n   upstream: x\n', 2, /YAML syntax/],
    ['a key given twice', 'log:\n  level: info\nlog:\n  level: debug\n', 3, /keys must be unique/],
  ];
  for (const [name, yaml, line, why] of cases) {
    t.throws(
      () => parseConfig(yaml, 'test.yaml'),
      { code: 'SLUICE_ERR_CONFIG', message: new RegExp(`^test\\.yaml:${line}: .*${why.source}`) },
      name,
    );
  }
  const notMappings: Array<[string, string]> = [['a bare string', 'just a string\n'], ['a list', '- a\n- b\n']];
  for (const [name, yaml] of notMappings) {
    t.throws(() => parseConfig(yaml, 'test.yaml'), { code: 'SLUICE_ERR_CONFIG', message: /must be a YAML mapping/ }, name);
  }
});

t.test('a good config gets every default and paths relative to its own folder', async (t) => {
  const yaml = [
    'data_dir: ./state',
    'dns:',
    '  block_response: sinkhole',
    'sync:',
    '  timeout: 90s',
    '  max_bytes: 512KiB',
    'feeds:',
    '  - name: remote',
    '    url: https://feeds.example.com/list.txt',
    '    format: hosts',
    '  - name: local',
    '    url: lists/mine.txt',
    '    format: text',
    '    interval: 1.5h',
    '    timeout: 30',
    '  - name: absolute',
    '    url: /var/lib/lists/abs.csv',
    '    format: csv',
    '    csv: { column: dst_ip }',
    'allowlist:',
    '  - path: ../allow.txt',
    '  - value: intranet.example.com',
    '',
  ].join('\n');
  const config = parseConfig(yaml, '/srv/sluice/conf/sluice.yaml');
  t.equal(config.file, '/srv/sluice/conf/sluice.yaml');
  t.equal(config.data_dir, '/srv/sluice/conf/state', 'data_dir against the config folder, not the cwd');
  t.same(config.feeds.map((f) => f.url), [
    'https://feeds.example.com/list.txt',
    '/srv/sluice/conf/lists/mine.txt',
    '/var/lib/lists/abs.csv',
  ]);
  t.same(config.allowlist, [{ path: '/srv/sluice/allow.txt' }, { value: 'intranet.example.com' }]);

  t.equal(config.store, 'memory');
  t.same(config.policy, { block_at: 70, monitor_at: 40 });
  t.same(config.dns.listen, ['127.0.0.1:5353'], 'listens on loopback only by default');
  t.same(config.dns.upstream, ['9.9.9.9:53']);
  t.equal(config.dns.block_response, 'sinkhole');
  t.same(config.dns.sinkhole, { ipv4: '0.0.0.0', ipv6: '::' }, 'nested defaults under a partly given key');
  t.same(config.dns.allow_clients, ['127.0.0.0/8', '::1/128']);
  t.equal(config.dns.upstream_timeout, 2_000);
  t.equal(config.http.listen, '127.0.0.1:8080');
  t.equal(config.sync.timeout, 90_000);
  t.equal(config.sync.max_bytes, 512 * 1024);
  t.equal(config.sync.retries, 2);
  t.equal(config.sync.max_invalid_share, 0.5);

  const [remote, local, absolute] = config.feeds;
  t.match(remote, { type: 'auto', confidence: 75, interval: 3_600_000, enabled: true, headers: {} });
  t.equal(remote!.timeout, undefined, 'no per-feed timeout unless given');
  t.match(remote!.csv, { column: 0, delimiter: ',', quote: '"', comment: '#', header: 'auto', tag_columns: [] });
  t.same(remote!.json.path, []);
  t.equal(local!.interval, 5_400_000);
  t.equal(local!.timeout, 30_000, 'a bare number of seconds');
  t.equal(absolute!.csv.column, 'dst_ip');
});

t.test('an empty file is a config of defaults with no feeds', async (t) => {
  const config = parseConfig('', '/etc/sluice/sluice.yaml');
  t.same(config.feeds, []);
  t.equal(config.data_dir, '/etc/sluice/data');
});

t.test('the repository config/sluice.yaml loads', async (t) => {
  const file = fileURLToPath(new URL('../../config/sluice.yaml', import.meta.url));
  const folder = fileURLToPath(new URL('../../config/', import.meta.url));
  const config = loadConfig(file);
  t.same(config.feeds.map((f) => f.name), [
    'urlhaus-hosts',
    'feodo-c2',
    'ipsum-level3',
    'blocklistproject-ransomware',
    'local',
  ]);
  t.equal(config.feeds.find((f) => f.name === 'local')!.url, `${folder}local-blocklist.txt`);
  t.same(config.allowlist, [{ path: `${folder}allowlist.txt` }]);
  t.equal(config.data_dir, fileURLToPath(new URL('../../data', import.meta.url)));
});

t.test('a missing config file is a config error naming the file', async (t) => {
  t.throws(() => loadConfig('/nonexistent/sluice.yaml'), {
    code: 'SLUICE_ERR_CONFIG',
    message: /^\/nonexistent\/sluice\.yaml: cannot read config: ENOENT/,
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
