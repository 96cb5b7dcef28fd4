// Every real feed file in test/fixtures/feeds, parsed the way a feed update parses it, with exact
// counts. The expected numbers were worked out from the files themselves (grep, awk and a
// separate Python reading with the system's public suffix list), not from this code's output:
// a change in any count means values are now dropped that the feed listed, or enforced that it
// did not list.
import t, { type Test } from 'tap';
import '../../helpers/quiet.js';
import { fixture, keys, parseBody } from '../../helpers/feeds.js';
import type { ParseReport } from '../../../src/feeds/parsers/index.js';

/** Distinct values per indicator type. */
function distinct(report: ParseReport): Record<string, number> {
  const byType: Record<string, Set<string>> = {};
  for (const o of report.observations) (byType[o.type] ??= new Set()).add(o.value);
  return Object.fromEntries(Object.entries(byType).map(([type, values]) => [type, values.size]));
}

function has(report: ParseReport, key: string): boolean {
  return keys(report).includes(key);
}

function find(report: ParseReport, key: string) {
  return report.observations.find((o) => `${o.type}:${o.value}` === key);
}

interface Expected {
  observations: number;
  distinct: Record<string, number>;
  invalid: number;
  invalidReasons?: Record<string, number>;
  skipped: number;
  skippedReasons?: Record<string, number>;
  adjusted?: Record<string, number>;
  present: string[];
  absent: string[];
}

function expectReport(t: Test, report: ParseReport, e: Expected): void {
  t.equal(report.observations.length, e.observations, 'observations');
  t.same(distinct(report), e.distinct, 'distinct indicators per type');
  t.equal(report.invalid.count, e.invalid, 'invalid values');
  t.same(report.invalid.reasons, e.invalidReasons ?? {}, 'reasons for invalid values');
  t.equal(report.skipped.count, e.skipped, 'skipped values');
  t.same(report.skipped.reasons, e.skippedReasons ?? {}, 'reasons for skipped values');
  t.same(report.adjusted.reasons, e.adjusted ?? {}, 'adjustments');
  for (const key of e.present) t.ok(has(report, key), `${key} is listed`);
  for (const key of e.absent) t.notOk(has(report, key), `${key} is not listed`);
  t.ok(report.observations.every((o) => o.action === 'block'), 'every value is a block');
  t.notOk(report.observations.some((o) => /[\s\x00-\x1f]/.test(o.value)), 'no whitespace or control characters');
}

t.test('hosts files', async (t) => {
  t.test('blocklistproject ransomware: 1904 names after 0.0.0.0, none of them the sink', async (t) => {
    const report = parseBody(fixture('feeds/blocklistproject-ransomware.txt'), { format: 'hosts' });
    expectReport(t, report, {
      observations: 1904,
      distinct: { domain: 1904 },
      invalid: 0,
      skipped: 0,
      present: [
        'domain:25z5g623wpqpdwis.onion.to',
        'domain:27c73bq66y4xqoh7.dorfact.at',
        'domain:zutzt67dcxr6mxcn.onion.to',
        'domain:res-smartd.info',
      ],
      absent: ['ipv4:0.0.0.0', 'domain:onion.to', 'domain:dorfact.at', 'domain:top'],
    });
    t.equal(report.observations[0]!.line, 14, 'the header and the blank line after it are not entries');
  });

  t.test('FadeMind 2o7.net with CRLF line ends: names that start like addresses stay names', async (t) => {
    const body = fixture('feeds/fademind-add.2o7Net-hosts-crlf.txt');
    t.equal(body.toString('latin1').split('\r\n').length - 1, 2030, 'the fixture really has 2030 CRLF line ends');
    const report = parseBody(body, { format: 'hosts' });
    expectReport(t, report, {
      observations: 2030,
      distinct: { domain: 2030 },
      invalid: 0,
      skipped: 0,
      present: [
        'domain:sanalytics.spark.co.nz',
        'domain:102.112.2o7.net',
        'domain:192.168.112.2o7.net',
        'domain:smetrics.airbank.cz',
        'domain:2o7.net',
      ],
      absent: ['domain:spark.co.nz', 'domain:airbank.cz', 'ipv4:192.168.112.2', 'ipv4:0.0.0.0'],
    });
  });

  t.test('AdAway: 127.0.0.1 and ::1 localhost lines are housekeeping, every other name is listed', async (t) => {
    const report = parseBody(fixture('feeds/adaway-hosts.txt'), { format: 'hosts' });
    expectReport(t, report, {
      observations: 6540,
      distinct: { domain: 6540 },
      invalid: 0,
      skipped: 2,
      skippedReasons: { 'hosts housekeeping name': 2 },
      present: ['domain:analytics.163.com', 'domain:crash.163.com', 'domain:iad.g.163.com'],
      absent: ['domain:localhost', 'domain:163.com', 'ipv4:127.0.0.1', 'ipv6:::1'],
    });
    t.same(report.skipped.examples.map((e) => [e.line, e.value]), [[22, 'localhost'], [23, 'localhost']]);
  });
});

t.test('adblock lists', async (t) => {
  t.test('urlhaus-filter for AdGuard Home: ||host^ rules, addresses kept as addresses', async (t) => {
    const report = parseBody(fixture('feeds/urlhaus-filter-agh-online.txt'), { format: 'adblock' });
    expectReport(t, report, {
      observations: 2853,
      distinct: { domain: 619, ipv4: 2234 },
      invalid: 0,
      skipped: 0,
      adjusted: { 'address in a domain feed, kept as an address': 2234 },
      present: ['domain:0022a601.pphost.net', 'ipv4:1.1.109.99', 'ipv4:1.92.135.168'],
      absent: ['domain:pphost.net', 'cidr:1.1.109.0/24'],
    });
    t.equal(report.observations[0]!.line, 7, 'the ! header is not read');
  });

  t.test('urlhaus-filter (uBlock): bare hosts, then ||host/path^$all rules that are URLs only', async (t) => {
    const report = parseBody(fixture('feeds/urlhaus-filter-online.txt'), { format: 'adblock' });
    expectReport(t, report, {
      observations: 6363,
      // 2853 bare hosts as in the AdGuard list, 3509 URL rules, and one ||host^$all rule with
      // no path (wegrowcoaching.com), which is a host.
      distinct: { domain: 620, ipv4: 2234, url: 3509 },
      invalid: 0,
      skipped: 0,
      adjusted: { 'address in a domain feed, kept as an address': 2234 },
      present: [
        'domain:0022a601.pphost.net',
        'ipv4:1.1.109.99',
        'domain:wegrowcoaching.com',
        'url:http://2024.sci-hub.se/2294/7a43bb4cf6c57229b02a9604a1f4614e/skidmore1966.pdf',
        'url:http://abcocomputers.com/?u=script',
        'url:http://bitbucket.org/dfffrf/dfdf/downloads/' +
          'notificaci%c3%b3n_demanda_virtual_juzgado_09_de_circuito_de_bogot%c3%a1.zip',
        // An @ in the path is not userinfo: the host stays cdn.jsdelivr.net.
        'url:http://cdn.jsdelivr.net/gh/repository-git/cloud@master/terms-use.js',
      ],
      // A URL rule on a shared host must never block the host itself.
      absent: [
        'domain:bitbucket.org',
        'domain:cdn.jsdelivr.net',
        'domain:2024.sci-hub.se',
        'domain:cdn.glitch.global',
        'domain:abcocomputers.com',
        'domain:master',
      ],
    });
    const url = find(report, 'url:http://abcocomputers.com/?u=script')!;
    t.equal(url.line, 2864);
    t.equal(url.original, 'abcocomputers.com/?u=script', 'the rule text is kept for explain');
    t.notOk(report.observations.some((o) => /[\^$]|\$all/.test(o.value)), 'no rule syntax in a value');
  });
});

t.test('plain text lists', async (t) => {
  t.test('urlhaus-filter domains: names and bare IPv4 addresses in one list', async (t) => {
    const report = parseBody(fixture('feeds/urlhaus-filter-domains-online.txt'), { format: 'text' });
    expectReport(t, report, {
      observations: 2853,
      distinct: { domain: 619, ipv4: 2234 },
      invalid: 0,
      skipped: 0,
      present: ['domain:0022a601.pphost.net', 'ipv4:1.1.109.99', 'ipv4:1.13.187.97'],
      absent: ['domain:1.1.109.99'],
    });
    const asDomains = parseBody(fixture('feeds/urlhaus-filter-domains-online.txt'), { format: 'text', type: 'domain' });
    t.same(keys(asDomains), keys(report), 'with type: domain the addresses are kept too');
    t.same(asDomains.adjusted.reasons, { 'address in a domain feed, kept as an address': 2234 });
  });

  t.test('urlhaus-filter wildcard: *.name and even *.address entries, the same list', async (t) => {
    const domains = parseBody(fixture('feeds/urlhaus-filter-domains-online.txt'), { format: 'text' });
    for (const type of ['auto', 'domain']) {
      const report = parseBody(fixture('feeds/urlhaus-filter-wildcard-online.txt'), { format: 'text', type });
      expectReport(t, report, {
        observations: 2853,
        distinct: { domain: 619, ipv4: 2234 },
        invalid: 0,
        skipped: 0,
        adjusted: {
          [type === 'auto' ? 'wildcard on an address dropped' : 'address in a domain feed, kept as an address']: 2234,
          'wildcard prefix read as the domain and its subtree': 619,
        },
        present: ['domain:0022a601.pphost.net', 'ipv4:1.1.109.99'],
        absent: ['domain:pphost.net', 'domain:109.99'],
      });
      t.same(keys(report), keys(domains), `type ${type}: the same indicators as the plain domains list`);
    }
  });

  t.test('maltrail mass scanners: CIDRs with inline comments, a few addresses and /32s', async (t) => {
    for (const type of ['auto', 'cidr', 'ip']) {
      const report = parseBody(fixture('feeds/maltrail-mass_scanner_cidr.txt'), { format: 'text', type });
      expectReport(t, report, {
        // 1096 CIDR lines (four networks twice) and 10 bare addresses; 3 of the CIDRs are /32.
        observations: 1106,
        distinct: { cidr: 1089, ipv4: 13 },
        invalid: 0,
        skipped: 0,
        present: ['cidr:5.63.151.0/24', 'cidr:13.249.87.0/24', 'ipv4:79.137.65.46', 'cidr:159.203.192.0/20'],
        // Comments are not values, and a commented-out network is not listed.
        absent: ['domain:scanners.labs.rapid7.com', 'ipv4:13.249.87.125', 'cidr:223.130.8.0/24', 'cidr:79.137.65.46/32'],
      });
    }
  });

  t.test('maltrail ligolo: ip:port, bare http://address URLs, path trails and nested comments', async (t) => {
    const report = parseBody(fixture('feeds/maltrail-ligolo_tunnel.txt'), { format: 'text' });
    expectReport(t, report, {
      // 806 ip:port lines over 774 addresses, 83 URLs; the two path trails have no host.
      observations: 889,
      distinct: { ipv4: 774, url: 83 },
      invalid: 2,
      invalidReasons: { 'URL has no host': 2 },
      skipped: 0,
      present: ['ipv4:103.127.136.239', 'ipv4:117.72.68.194', 'url:http://3.121.42.179/', 'url:http://45.9.148.219/'],
      absent: ['url:http://ligolo-ng.yaml/', 'url:http://ligolo-ng.history/', 'domain:ligolo-ng.yaml', 'ipv4:3.121.42.179'],
    });
    t.same(report.invalid.examples.map((e) => [e.line, e.value]), [[937, '/ligolo-ng.history'], [938, '/ligolo-ng.yaml']]);
    t.same(find(report, 'ipv4:103.127.136.239')!.tags, ['port:4444']);
    t.equal(report.observations.filter((o) => o.tags?.some((tag) => tag.startsWith('port:'))).length, 806);
    t.equal(report.observations.filter((o) => o.tags?.includes('port:443')).length, 488);
    t.notOk(report.observations.some((o) => o.value.includes('githubusercontent')), 'no value from a # Reference line');
  });

  t.test('MineMeld IPv4 ranges: start-end ranges become minimal CIDRs', async (t) => {
    for (const type of ['auto', 'ip', 'cidr', 'ipv4']) {
      const report = parseBody(fixture('feeds/minemeld-IPv4-ranges.lst'), { format: 'text', type });
      expectReport(t, report, {
        // 165 single-address ranges, and three wider ones giving 2 + 1 + 6 values.
        observations: 174,
        distinct: { ipv4: 166, cidr: 8 },
        invalid: 0,
        skipped: 0,
        adjusted: { 'address range written as networks': 3 },
        present: ['ipv4:103.249.88.244', 'cidr:1.1.1.0/27', 'cidr:1.1.1.32/31', 'cidr:1.1.2.0/24', 'ipv4:1.1.3.44'],
        absent: ['cidr:1.1.1.0/26', 'cidr:1.1.3.0/26', 'ipv4:1.1.1.34', 'ipv4:1.1.3.9'],
      });
      const last = report.observations.filter((o) => o.line === 168).map((o) => `${o.type}:${o.value}`);
      t.same(last, [
        'cidr:1.1.3.10/31', 'cidr:1.1.3.12/30', 'cidr:1.1.3.16/28', 'cidr:1.1.3.32/29', 'cidr:1.1.3.40/30', 'ipv4:1.1.3.44',
      ], 'the last line, 1.1.3.10-1.1.3.44, as six networks');
    }
  });

  t.test('ipsum level 8: 23 bare addresses', async (t) => {
    const report = parseBody(fixture('feeds/ipsum_level8.txt'), { format: 'text', type: 'ip' });
    expectReport(t, report, {
      observations: 23,
      distinct: { ipv4: 23 },
      invalid: 0,
      skipped: 0,
      present: ['ipv4:77.90.185.20', 'ipv4:77.239.124.102', 'ipv4:77.239.124.108'],
      absent: ['cidr:77.239.124.0/24'],
    });
  });
});

t.test('CSV feeds', async (t) => {
  t.test('Suricata iprep with bare CR line ends: column 0 of a headerless CSV', async (t) => {
    for (const file of ['suricata-iprep-data-cr.txt', 'suricata-iprep-data-cr-lf.txt']) {
      const body = fixture(`feeds/${file}`);
      const report = parseBody(body, { format: 'csv', csv: { column: 0 } });
      t.same(keys(report), ['ipv4:1.2.3.4', 'ipv4:1.2.3.5', 'cidr:1.1.1.0/24'], file);
      t.same(report.observations.map((o) => o.line), [1, 2, 3], `${file}: one record a line`);
      t.equal(report.invalid.count + report.skipped.count, 0);
    }
    t.notOk(fixture('feeds/suricata-iprep-data-cr.txt').includes(0x0a), 'the CR fixture has no LF at all');
  });

  t.test('Feodo Tracker: the dst_ip column by its quoted header name, under a banner', async (t) => {
    const report = parseBody(fixture('feeds/feodotracker-ipblocklist.csv'), {
      format: 'csv',
      csv: { column: 'dst_ip', tag_columns: ['malware'], first_seen_column: 'first_seen_utc' },
    });
    expectReport(t, report, {
      observations: 28,
      distinct: { ipv4: 28 },
      invalid: 0,
      skipped: 0,
      // Offline C2s are listed too: the feed lists them, so they are enforced.
      present: ['ipv4:192.9.135.73', 'ipv4:85.239.243.155', 'ipv4:172.233.221.61'],
      absent: ['ipv4:1194', 'domain:pikabot'],
    });
    const first = report.observations[0]!;
    t.match(first, { value: '192.9.135.73', line: 10, tags: ['Pikabot'] });
    t.equal(first.firstSeen, Date.UTC(2023, 4, 23, 17, 51, 44) / 1000);
    t.equal(report.observations.at(-1)!.line, 37, 'the "# END 28 entries" footer is not an entry');
  });

  t.test('URLhaus with its banner: the header is the comment line "# id,dateadded,url,…"', async (t) => {
    const report = parseBody(fixture('feeds/urlhaus-online-banner-excerpt-2026-08-18.csv'), {
      format: 'csv',
      csv: { column: 'url', tag_columns: ['tags'] },
    });
    expectReport(t, report, {
      observations: 25,
      distinct: { url: 25 },
      invalid: 0,
      skipped: 0,
      present: [
        'url:http://120.84.215.27:44835/i',
        'url:http://176.65.139.212/eclipse.sh4',
        'url:https://long-wildflower-b4f5.gustavosoftware.workers.dev/vKxen',
        'url:http://cryptomeshforge10.lol/crypt/21-32/kliulij.exe',
      ],
      absent: ['ipv4:176.65.139.212', 'domain:gustavosoftware.workers.dev', 'url:https://urlhaus.abuse.ch/url/3905439/'],
    });
    t.equal(report.observations[0]!.line, 10);
    t.same(report.observations[0]!.tags, undefined, 'the word None is no tag');
    t.same(report.observations[1]!.tags, ['176-65-139-212', 'elf', 'mirai', 'ua-wget']);
  });

  t.test('URLhaus first 500 rows: a plain header row, 500 distinct URLs', async (t) => {
    const report = parseBody(fixture('feeds/urlhaus-online-2025-04-21-first500.csv'), {
      format: 'csv',
      csv: { column: 'url' },
    });
    expectReport(t, report, {
      observations: 500,
      distinct: { url: 500 },
      invalid: 0,
      skipped: 0,
      present: [
        'url:https://github.com/xmrig/xmrig/releases/download/v6.12.2/xmrig-6.12.2-linux-x64.tar.gz',
        'url:https://cpcalendars.auiesce.ru/Downloads/Commercial_Proposal_Request.pdf.lnk',
      ],
      absent: ['domain:github.com', 'url:http://github.com/', 'url:https://github.com/'],
    });
    t.equal(report.observations[0]!.line, 2, 'the header row is not an entry');
  });
});

const THREATFOX = {
  format: 'json',
  json: { path: 'iocs', field: 'ioc', type_field: 'type', confidence_field: 'confidence', tag_fields: ['malware'] },
};

t.test('JSON feeds', async (t) => {
  t.test('ThreatFox 2026-07-11: defanged names and ip:port values, per-value confidence', async (t) => {
    const report = parseBody(fixture('feeds/threatfox-defanged-20260711T1230.json'), THREATFOX);
    expectReport(t, report, {
      observations: 40,
      distinct: { domain: 24, ipv4: 16 },
      invalid: 0,
      skipped: 0,
      adjusted: { refanged: 40 },
      present: ['domain:41637610.killbot.ru', 'domain:betaverse.casino', 'ipv4:154.88.103.35', 'ipv4:119.91.229.120'],
      absent: ['domain:killbot.ru', 'domain:duckdns.org', 'domain:41637610.killbot[.]ru'],
    });
    t.match(find(report, 'ipv4:154.88.103.35'), {
      confidence: 100,
      tags: ['VShell', 'port:8885'],
      original: '154.88.103[.]35:8885',
    });
    t.match(find(report, 'ipv4:139.155.157.79'), { confidence: 75, tags: ['Cobalt Strike', 'port:443'] });
    t.same(find(report, 'ipv4:119.91.229.120')!.tags, ['Unknown malware'], 'port 0 means no port');
    t.equal(find(report, 'domain:tds.xlauncher.org')!.line, 2, 'JSON positions are element ordinals');
  });

  t.test('ThreatFox 2026-08-22: display-truncated sha256 values are invalid, never guessed', async (t) => {
    const report = parseBody(fixture('feeds/threatfox-defanged-20260822T2125.json'), THREATFOX);
    expectReport(t, report, {
      observations: 37,
      distinct: { domain: 25, ipv4: 6, url: 5 },
      invalid: 3,
      invalidReasons: { 'hash is not hexadecimal': 3 },
      skipped: 0,
      adjusted: { refanged: 37 },
      present: [
        'domain:biqeketo.workers.dev',
        'ipv4:80.190.77.86',
        'url:https://45.91.168.240/',
        'url:http://103.98.38.217:56737/Mozi.a',
        'url:https://188.top/',
        'url:https://canvas-35.com/curl/n2rfjo98p/bootstrap.sh',
      ],
      absent: ['domain:workers.dev', 'ipv4:45.91.168.240', 'ipv4:103.98.38.217', 'domain:canvas-35.com/curl'],
    });
    t.same(report.invalid.examples.map((e) => [e.line, e.value]), [
      [14, '32f85cbf0fcd...d4c2'],
      [15, '66299f122474...b403'],
      [16, '879c25948bc9...9f6a'],
    ]);
    t.notOk(report.observations.some((o) => o.type === 'sha256'), 'no hash is made up from a prefix');
    const ports = report.observations.filter((o) => o.value === '80.190.77.86').map((o) => o.tags);
    t.same(ports, [['AsyncRAT', 'port:9909'], ['AsyncRAT', 'port:222']], 'one address, both ports');
  });

  t.test('MineMeld RFC 7464 JSON text sequence: RS-separated records with range indicators', async (t) => {
    const body = fixture('feeds/minemeld-ipv4-json-seq.json');
    t.equal(body.filter((b) => b === 0x1e).length, 168, 'the fixture has 168 RS-led records');
    const report = parseBody(body, {
      format: 'json',
      json: { confidence_field: 'value.confidence', first_seen_field: 'value.first_seen' },
    });
    expectReport(t, report, {
      observations: 174,
      distinct: { ipv4: 166, cidr: 8 },
      invalid: 0,
      skipped: 0,
      adjusted: { 'address range written as networks': 3 },
      present: ['cidr:1.1.1.0/27', 'cidr:1.1.1.32/31', 'cidr:1.1.2.0/24', 'ipv4:103.249.88.244'],
      absent: ['cidr:1.1.1.0/26', 'ipv4:1.1.1.34'],
    });
    const ranges = parseBody(fixture('feeds/minemeld-IPv4-ranges.lst'), { format: 'text' });
    t.same([...keys(report)].sort(), [...keys(ranges)].sort(), 'the same indicators as the same ranges as text');
    t.match(report.observations[0], { confidence: 100, firstSeen: 1550570114 }, 'epoch milliseconds become seconds');
  });

  t.test('MineMeld Carbon Black feed: every name under reports.*.iocs.dns', async (t) => {
    const report = parseBody(fixture('feeds/minemeld-domain-carbonblack.json'), {
      format: 'json',
      json: { path: 'reports.*.iocs.dns' },
    });
    expectReport(t, report, {
      observations: 1903,
      distinct: { domain: 1903 },
      invalid: 0,
      skipped: 0,
      present: ['domain:25z5g623wpqpdwis.onion.to', 'domain:27lelchgcvs2wpm7.apperloads.win'],
      absent: ['domain:res-smartd.info', 'url:https://live.paloaltonetworks.com/t5/MineMeld/ct-p/MineMeld'],
    });
    const hosts = parseBody(fixture('feeds/blocklistproject-ransomware.txt'), { format: 'hosts' });
    const fromHosts = new Set(keys(hosts));
    t.ok(keys(report).every((k) => fromHosts.has(k)), 'the same ransomware names as the hosts edition');
  });
});
