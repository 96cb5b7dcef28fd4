// The blast-radius guards on single entries, and the two false-positive bug reports they answer.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../helpers/quiet.js';
import { defaultGuard, matcherFor, parseBody } from '../helpers/feeds.js';
import { parseQuery } from '../../src/match/query.js';
import { decide, describe } from '../../src/match/verdict.js';
import { decisionFor } from '../../src/match/explain.js';
import { selectEntries } from '../../src/edl/select.js';
import { checkChange } from '../../src/guards/index.js';

const PUB015 = '0.0.0.0\n0.0.0.0/8\n10.0.0.0/8\n127.0.0.1\n172.16.0.0/12\n192.168.0.0/16\n100.64.0.0/10\n169.254.0.0/16\n224.0.0.0/4\n255.255.255.255\n64.0.0.0/2\n::/0\n::1\nfe80::/10\nfc00::/7\n198.51.100.66\n';

t.test('PUB-015: only the public address is enforced; every special or over-wide line is held with its reason', async (t) => {
  const m = matcherFor([{ name: 'ips', format: 'text', type: 'ip', body: PUB015 }], '', undefined, { guard: defaultGuard() });
  const verdict = (v: string) => decide(m, parseQuery(v, 'value')).verdict;
  t.equal(verdict('198.51.100.66'), 'block', 'a documentation-range address stays enforceable');
  for (const address of ['0.0.0.0', '10.1.2.3', '127.0.0.1', '172.16.9.9', '192.168.1.1', '100.64.0.1', '169.254.1.1', '224.0.0.251', '255.255.255.255', '65.1.1.1', '2606:4700::1', '::1', 'fe80::1', 'fd00::1']) {
    t.equal(verdict(address), 'allow', `${address} is not enforced`);
  }
  // Explain names the guard for each held line.
  const guardOf = (v: string) => describe(decisionFor(m, v)).quarantine?.guard;
  t.equal(guardOf('127.0.0.1'), 'special-range');
  t.equal(guardOf('10.0.0.0/8'), 'special-range');
  t.equal(guardOf('64.0.0.0/2'), 'wide-prefix');
  t.equal(guardOf('10.1.2.3'), 'special-range', 'an address inside a held network is explained by it');
  t.equal(describe(decisionFor(m, '10.1.2.3')).match?.indicator, '10.0.0.0/8');
  t.equal(decisionFor(m, '10.1.2.3').verdict, 'allow');
  // A /0 is refused before any guard sees it: it counts as an invalid line of the feed.
  t.equal(m.findByValue('cidr', '::/0'), -1);
  const report = parseBody(PUB015, { format: 'text', type: 'ip' });
  t.match(report.invalid.examples, [{ value: '::/0', reason: /covers every address/ }]);
  t.equal(guardOf('fc00::/7'), 'wide-prefix', 'wider than /32 before it is special');
  t.equal(guardOf('fe80::/10'), 'wide-prefix');
  t.equal(guardOf('::1'), 'special-range');
  t.match(describe(decisionFor(m, '192.168.0.0/16')).reasons.join('\n'), /192\.168\.0\.0\/16 is private-use \(RFC 1918\); not enforced/);
  // Nothing held reaches a firewall list.
  const listed = selectEntries(m, { kind: 'ip' }).map((e) => m.entryValue(e));
  t.same(listed, ['198.51.100.66']);
});

t.test('PUB-015: an operator can opt a special range in, and only that range', async (t) => {
  const guard = defaultGuard({ guards: { enforce_ranges: ['10.20.0.0/16'] } });
  const m = matcherFor([{ name: 'ips', format: 'text', type: 'ip', body: '10.20.3.4\n10.30.3.4\n10.0.0.0/8\n' }], '', undefined, { guard });
  t.equal(decide(m, parseQuery('10.20.3.4', 'ip')).verdict, 'block', 'inside the opted-in range');
  t.equal(decide(m, parseQuery('10.30.3.4', 'ip')).verdict, 'allow', 'outside it');
  t.equal(describe(decisionFor(m, '10.0.0.0/8')).quarantine?.guard, 'special-range', 'a wider network around it is still held');
});

t.test('the prefix floor is configurable', async (t) => {
  const body = '45.0.0.0/12\n2a00::/24\n';
  const strict = matcherFor([{ name: 'n', format: 'text', type: 'ip', body }], '', undefined, { guard: defaultGuard({ guards: { ipv4_min_prefix: 16, ipv6_min_prefix: 48 } }) });
  t.equal(decide(strict, parseQuery('45.1.2.3', 'ip')).verdict, 'allow');
  t.equal(decide(strict, parseQuery('2a00::1', 'ip')).verdict, 'allow');
  const loose = matcherFor([{ name: 'n', format: 'text', type: 'ip', body }], '', undefined, { guard: defaultGuard() });
  t.equal(decide(loose, parseQuery('45.1.2.3', 'ip')).verdict, 'block', '/12 is within the default /8 floor');
  t.equal(decide(loose, parseQuery('2a00::1', 'ip')).verdict, 'allow', '/24 is wider than the default /32 floor');
});

t.test('PUB-016: top-site names are held, a URL on one is still enforced at URL level', async (t) => {
  // The report's own guard list, as a warninglist of one's own.
  const dir = mkdtempSync(join(tmpdir(), 'sluice-wl-'));
  const path = join(dir, 'guard.json');
  writeFileSync(path, JSON.stringify({ name: 'report guard list', type: 'hostname', list: ['google.com', 'akamai.net', 'githubusercontent.com'] }));
  const guard = defaultGuard({ warninglists: { tranco10k: 'off', majestic_million: 'off', cisco_top1000: 'off', report: { path, mode: 'allow' } } });
  const feed = 'google.com\nakamai.net\ndrive.google.com\nhttps://drive.google.com/file/d/EXAMPLEID/view\nraw.githubusercontent.com\nlogin-check.example.com\n';
  const m = matcherFor([{ name: 'f', format: 'text', type: 'auto', body: feed }], '', undefined, { guard });
  const v = (value: string) => decide(m, parseQuery(value, 'value')).verdict;
  t.equal(v('login-check.example.com'), 'block');
  t.equal(v('https://drive.google.com/file/d/EXAMPLEID/view'), 'block', 'the listed URL blocks');
  t.equal(v('https://drive.google.com/file/d/OTHER/view'), 'allow', 'another URL on the host does not');
  for (const name of ['google.com', 'drive.google.com', 'raw.githubusercontent.com', 'www.google.com']) t.equal(v(name), 'allow', `${name} is not enforced`);
  t.equal(describe(decisionFor(m, 'drive.google.com')).quarantine?.guard, 'warninglist');
  t.match(describe(decisionFor(m, 'raw.githubusercontent.com')).quarantine?.detail, /under githubusercontent\.com, on warninglist report/);
  // akamai.net alone is a public suffix (private section): refused at parse, never an indicator.
  t.equal(m.findByValue('domain', 'akamai.net'), -1);
  const domains = selectEntries(m, { kind: 'domain' }).map((e) => m.entryValue(e));
  t.same(domains, ['login-check.example.com'], 'the domain list holds only the enforceable name');
});

t.test('the bundled lists hold top sites by default; documentation names stay enforceable', async (t) => {
  const m = matcherFor([{ name: 'f', format: 'text', type: 'domain', body: 'google.com\nmail.google.com\nbad.example.com\nevil-login.example.net\n' }], '', undefined, { guard: defaultGuard() });
  t.equal(decide(m, parseQuery('mail.google.com', 'domain')).verdict, 'allow');
  t.equal(decide(m, parseQuery('bad.example.com', 'domain')).verdict, 'block');
  t.equal(decide(m, parseQuery('evil-login.example.net', 'domain')).verdict, 'block');
});

t.test('names registered under a shared public suffix on a top list stay enforceable', async (t) => {
  const body = 'phubotnet.duckdns.org\nbiqeketo.workers.dev\nofice365.github.io\nupdate.bruss.org.ru\n';
  const m = matcherFor([{ name: 'f', format: 'text', type: 'domain', body }], '', undefined, { guard: defaultGuard() });
  for (const name of body.trim().split('\n')) t.equal(decide(m, parseQuery(name, 'domain')).verdict, 'block', name);
});

t.test('a warn-mode list enforces and marks the verdict; off turns a list off', async (t) => {
  const body = '52.95.110.1\n';
  const warned = matcherFor([{ name: 'f', format: 'text', type: 'ip', body }], '', undefined, { guard: defaultGuard() });
  const d = describe(decide(warned, parseQuery('52.95.110.1', 'ip')));
  t.equal(d.verdict, 'block');
  t.match(d.warnings, [/overlaps warninglist amazon-aws/]);
  const off = matcherFor([{ name: 'f', format: 'text', type: 'ip', body }], '', undefined, { guard: defaultGuard({ warninglists: { 'amazon-aws': 'off' } }) });
  t.equal(describe(decide(off, parseQuery('52.95.110.1', 'ip'))).warnings, undefined);
});

t.test('public resolvers are held: listing 8.8.8.8 would cut off DNS for its users', async (t) => {
  const m = matcherFor([{ name: 'ips', format: 'text', type: 'ip', body: '8.8.8.8\n1.1.1.1\n9.9.9.9\n2001:4860:4860::8888\n203.0.113.53\n' }], '', undefined, { guard: defaultGuard() });
  for (const ip of ['8.8.8.8', '1.1.1.1', '9.9.9.9', '2001:4860:4860::8888']) {
    t.equal(decide(m, parseQuery(ip, 'ip')).verdict, 'allow', ip);
    t.match(describe(decide(m, parseQuery(ip, 'ip'))).quarantine, { guard: 'warninglist', detail: /public-dns-v[46]/ });
  }
  t.equal(decide(m, parseQuery('203.0.113.53', 'ip')).verdict, 'block');
});

t.test('hashes of empty input are held', async (t) => {
  const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  const m = matcherFor([{ name: 'h', format: 'text', type: 'sha256', body: `${empty}\n${'a'.repeat(64)}\n` }], '', undefined, { guard: defaultGuard() });
  t.equal(decide(m, parseQuery(empty, 'hash')).verdict, 'allow');
  t.equal(decide(m, parseQuery('a'.repeat(64), 'hash')).verdict, 'block');
});

t.test('a monitor-mode feed never blocks on its own, but adds to another feed', async (t) => {
  const m = matcherFor([
    { name: 'trial', format: 'text', type: 'domain', confidence: 95, action: 'monitor', body: 'only-trial.example.com\nboth.example.com\n' },
    { name: 'weak', format: 'text', type: 'domain', confidence: 50, body: 'both.example.com\n' },
  ]);
  t.equal(decide(m, parseQuery('only-trial.example.com', 'domain')).verdict, 'monitor');
  t.match(describe(decide(m, parseQuery('only-trial.example.com', 'domain'))).reasons.join('\n'), /only monitor-mode feeds reach block_at/);
  t.equal(decide(m, parseQuery('both.example.com', 'domain')).verdict, 'monitor', 'the blocking feed alone scores 50');
  t.same(selectEntries(m, { kind: 'domain' }), [], 'neither goes in a firewall list');
});

t.test('the change guard', async (t) => {
  t.same(checkChange(1000, 3, 0.5, 100), { held: true, reason: 'update shrinks the feed by 100% (1000 to 3 entries), over the 50% limit' });
  t.match(checkChange(1000, 1600, 0.5, 100), { held: true, reason: /grows the feed by 60%/ });
  t.same(checkChange(1000, 600, 0.5, 100), { held: false }, 'within the limit');
  t.same(checkChange(50, 1, 0.5, 100), { held: false }, 'small feeds are not guarded');
  t.same(checkChange(1000, 3, 0, 100), { held: false }, '0 turns the guard off');
});
