// Drives the built CLI the way an operator does: real feed files over HTTP, `sluice serve` on
// free ports, `dig` for DNS, and HTTP requests for verdicts, lists and metrics.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DnsStub } from '../helpers/dns-stub.js';
import { FeedServer } from '../helpers/feed-server.js';
import { fixture } from '../helpers/feeds.js';
import { dig, digStatus, serve } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
const feeds = new FeedServer();
const upstream = new DnsStub({ 'ok.example.net': { A: '192.0.2.80' }, 'www.allowed.example': { A: '192.0.2.81' } });

t.before(async () => {
  await feeds.start();
  await upstream.start();
  feeds.serveBody('/urlhaus.csv', fixture('feeds/urlhaus-online-banner-excerpt-2026-08-18.csv'));
  feeds.serveBody('/hosts.txt', fixture('feeds/blocklistproject-ransomware.txt'));
  feeds.serveBody('/scanners.txt', fixture('feeds/maltrail-mass_scanner_cidr.txt'));
  feeds.serveBody('/adblock.txt', fixture('feeds/urlhaus-filter-agh-online.txt'));
  feeds.serveBody('/crlf-hosts.txt', fixture('feeds/fademind-add.2o7Net-hosts-crlf.txt'));
  writeFileSync(join(dir, 'allow.txt'), '# ours\nallowed.example\n');
  writeFileSync(join(dir, 'local.txt'), 'allowed.example\n');
  writeFileSync(
    join(dir, 'sluice.yaml'),
    [
      'data_dir: ./data',
      'dns:',
      '  listen: ["127.0.0.1:0"]',
      `  upstream: ["127.0.0.1:${upstream.port}"]`,
      '  block_response: nxdomain',
      'http: { listen: "127.0.0.1:0" }',
      'feeds:',
      `  - { name: urlhaus, url: "${feeds.url('/urlhaus.csv')}", format: csv, csv: { column: url }, confidence: 80 }`,
      `  - { name: ransomware, url: "${feeds.url('/hosts.txt')}", format: hosts, confidence: 80 }`,
      `  - { name: scanners, url: "${feeds.url('/scanners.txt')}", format: text, type: cidr, confidence: 90 }`,
      `  - { name: agh, url: "${feeds.url('/adblock.txt')}", format: adblock, confidence: 75 }`,
      `  - { name: trackers, url: "${feeds.url('/crlf-hosts.txt')}", format: hosts, confidence: 75 }`,
      '  - { name: local, url: ./local.txt, format: text }',
      'allowlist:',
      '  - path: ./allow.txt',
      '',
    ].join('\n'),
  );
});
t.teardown(async () => {
  await feeds.stop();
  upstream.stop();
});

t.test('serves real feeds over DNS and HTTP', async (t) => {
  const gw = await serve(join(dir, 'sluice.yaml'));
  t.teardown(gw.stop);
  const http = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${gw.httpPort}${path}`, init);

  // The first fetch round runs in the background. With an empty data_dir the first set is
  // built once every feed was tried, so readiness means all six feeds are in.
  for (let i = 0; i < 100; i++) {
    const ready = await http('/readyz').then((r) => r.json() as Promise<{ ready: boolean; feeds?: Record<string, number> }>);
    if (ready.ready) {
      t.same(ready.feeds, { ok: 6 }, 'every feed loaded');
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const listed = await dig(gw.dnsPort, ['27c73bq66y4xqoh7.dorfact.at', 'A']);
  t.equal(digStatus(listed), 'NXDOMAIN', 'a listed domain gets the block answer');
  t.match(listed, /AUTHORITY SECTION:\n27c73bq66y4xqoh7\.dorfact\.at\.\s+60\s+IN\s+SOA/);
  t.equal(digStatus(await dig(gw.dnsPort, ['deep.sub.27C73BQ66Y4XQOH7.dorfact.at', 'AAAA'])), 'NXDOMAIN', 'and so does a name below it');
  t.equal(digStatus(await dig(gw.dnsPort, ['smetrics.airbank.cz', 'A', '+tcp'])), 'NXDOMAIN', 'a name from the CRLF file, over TCP');
  t.equal(digStatus(await dig(gw.dnsPort, ['0022a601.pphost.net', 'A'])), 'NXDOMAIN', 'a name from the adblock list');

  const forwarded = await dig(gw.dnsPort, ['ok.example.net', 'A']);
  t.equal(digStatus(forwarded), 'NOERROR', 'an unlisted domain is forwarded');
  t.match(forwarded, /ok\.example\.net\.\s+300\s+IN\s+A\s+192\.0\.2\.80/, "and gets the upstream's answer");
  const allowed = await dig(gw.dnsPort, ['www.allowed.example', 'A']);
  t.match(allowed, /192\.0\.2\.81/, 'an allowlisted name listed by a feed passes');
  t.ok(upstream.asked.includes('www.allowed.example'));
  t.notOk(upstream.asked.includes('27c73bq66y4xqoh7.dorfact.at'), 'blocked names never reach the upstream');

  const verdict = await http('/v1/verdict?ip=5.63.151.77').then((r) => r.json() as Promise<Record<string, any>>);
  t.match(verdict, { verdict: 'block', type: 'ipv4', match: { indicator: '5.63.151.0/24', kind: 'cidr' } });
  t.match(verdict.sources, [{ feed: 'scanners', confidence: 90 }]);
  const url = await http(`/v1/verdict?url=${encodeURIComponent('http://176.65.139.212/eclipse.sh4')}`).then((r) => r.json() as Promise<Record<string, any>>);
  t.match(url, { verdict: 'block', match: { indicator: 'http://176.65.139.212/eclipse.sh4', kind: 'exact' } }, 'a URL from the URLhaus CSV');

  const edl = await http('/edl/ip.txt');
  const body = await edl.text();
  t.ok(body.split('\n').includes('5.63.151.0/24'), '/edl/ip.txt lists the network');
  const again = await http('/edl/ip.txt', { headers: { 'If-None-Match': edl.headers.get('etag')! } });
  t.equal(again.status, 304, 'a conditional pull of the same version gets 304');

  const metrics = await http('/metrics').then((r) => r.text());
  t.match(metrics, /sluice_hits_total\{feed="scanners",type="cidr"\} 1/, '/metrics counts the verdict hit');
  t.match(metrics, /sluice_hits_total\{feed="ransomware",type="domain"\} 2/, 'and the DNS hits');
  t.match(metrics, /sluice_dns_queries_total\{action="blocked"\} 4/);
  t.match(metrics, /sluice_feed_last_success_timestamp_seconds\{feed="agh"\} \d+/);

  const bad = await http('/v1/verdict?domain=phish..example.net');
  t.equal(bad.status, 400);
  t.match(await bad.json(), { error: { code: 'SLUICE_ERR_BAD_REQUEST', param: 'domain', message: /empty label/ } });
});
