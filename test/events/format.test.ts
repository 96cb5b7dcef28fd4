import t from 'tap';
import { escapeExtension, escapeHeader, formatCef, formatCefSyslog } from '../../src/events/format/cef.js';
import { escapeParam, formatRfc5424, origin, SD_ID } from '../../src/events/format/rfc5424.js';
import { hit, parseCef, parseRfc5424 } from './receivers.js';

const o = origin('sluice', 'gw-1.example.net', 4242);
const NASTY = 'x"]\\y';

t.test('RFC 5424: header, PRI per verdict, structured data', async (t) => {
  const block = parseRfc5424(formatRfc5424(hit(0), o));
  t.equal(block.pri, 16 * 8 + 4, 'local0.warning for a block');
  t.equal(block.version, 1);
  t.equal(block.timestamp, '2026-01-02T03:04:05.000Z');
  t.same([block.hostname, block.appName, block.procId, block.msgId], ['gw-1.example.net', 'sluice', '4242', 'hit']);
  t.equal(block.sdId, SD_ID);
  t.same(block.params, {
    verdict: 'block',
    source: 'dns',
    value: 'n0.bad.example.com',
    indicator: 'bad.example.com',
    client: '127.0.0.1',
    feeds: 'bad,other',
    qtype: '1',
  });
  t.match(block.msg, /^blocked n0\.bad\.example\.com \(dns from 127\.0\.0\.1\): indicator bad\.example\.com/);

  const monitor = parseRfc5424(formatRfc5424(hit(1), o));
  t.equal(monitor.pri, 16 * 8 + 5, 'local0.notice for a monitor hit');

  const http = parseRfc5424(formatRfc5424(hit(2, { source: 'verdict', client: undefined, qtype: undefined, type: 'url' }), o));
  t.notOk('client' in http.params, 'no client param when there is no client');
  t.equal(http.params.type, 'url');
});

t.test('RFC 5424: SD-PARAM escaping round-trips " ] and \\', async (t) => {
  t.equal(escapeParam(NASTY), 'x\\"\\]\\\\y');
  const line = formatRfc5424(hit(0, { value: NASTY, indicator: `]${NASTY}\\`, client: '"', feeds: ['a]b', 'c\\'] }), o);
  const p = parseRfc5424(line);
  t.equal(p.params.value, NASTY);
  t.equal(p.params.indicator, `]${NASTY}\\`);
  t.equal(p.params.client, '"');
  t.equal(p.params.feeds, 'a]b,c\\');
});

t.test('control characters from a question name cannot forge lines', async (t) => {
  const evil = 'a\nFAKE <13>1 - - - - - forged\r\u0000\u001b[31m.bad.example.com';
  const line = formatRfc5424(hit(0, { value: evil }), o);
  t.notMatch(line, /[\u0000-\u001f\u007f]/, 'no raw control characters in the syslog line');
  t.equal(parseRfc5424(line).params.value, 'a\\x0aFAKE <13>1 - - - - - forged\\x0d\\x00\\x1b[31m.bad.example.com');
  const cef = formatCef(hit(0, { value: evil }));
  t.notMatch(cef, /[\u0000-\u001f\u007f]/, 'no raw control characters in CEF');
  t.equal(parseCef(cef).ext.cs4, 'a\nFAKE <13>1 - - - - - forged\r\\x00\\x1b[31m.bad.example.com', 'CR and LF as CEF spells them');
});

t.test('header fields are printable ASCII without spaces', async (t) => {
  const odd = origin('my app\u00e9', 'host name', 7);
  t.equal(odd.appName, 'myapp');
  t.equal(odd.hostname, 'hostname');
  t.equal(origin('', '', 1).appName, '-');
  t.equal(origin('x'.repeat(100), 'h', 1).appName.length, 48);
});

t.test('CEF: header and extensions well formed', async (t) => {
  const cef = parseCef(formatCef(hit(0)));
  t.same(cef.header, ['CEF:0', 'sluice', 'sluice', '0.1', 'hit-block', 'Blocked indicator hit', '7']);
  t.equal(cef.ext.act, 'block');
  t.equal(cef.ext.src, '127.0.0.1');
  t.equal(cef.ext.dhost, 'n0.bad.example.com');
  t.equal(cef.ext.rt, String(Date.UTC(2026, 0, 2, 3, 4, 5, 0)));
  t.equal(cef.ext.cs1Label, 'indicator');
  t.equal(cef.ext.cs1, 'bad.example.com');
  t.equal(cef.ext.cs2, 'bad,other');
  t.equal(cef.ext.cn1, '1');
  t.notOk('cs5' in cef.ext || 'cs5Label' in cef.ext, 'no label without its value');

  const monitor = parseCef(formatCef(hit(1, { source: 'forward-auth', client: 'proxy.lan', type: 'url', qtype: undefined })));
  t.same(monitor.header.slice(4), ['hit-monitor', 'Monitored indicator hit', '5']);
  t.equal(monitor.ext.shost, 'proxy.lan', 'a client that is not an address is a host');
  t.notOk('dhost' in monitor.ext);
  t.equal(monitor.ext.cs5, 'url');
});

t.test('CEF escaping: | and \\ in the header, = and \\ in extensions', async (t) => {
  t.equal(escapeHeader('a|b\\c'), 'a\\|b\\\\c');
  t.equal(escapeHeader('x\ny'), 'x\\\\x0ay', 'no newline in a header field (read back: x\\x0ay)');
  t.equal(escapeExtension('a=b\\c|d\ne\rf'), 'a\\=b\\\\c|d\\ne\\rf');
  const value = 'http://bad.example/p?a=1&b=\\|x=y ';
  const cef = parseCef(formatCef(hit(0, { source: 'verdict', value, indicator: value, client: '10.0.0.1' })));
  t.equal(cef.ext.cs4, value, 'value round-trips');
  t.equal(cef.ext.cs1, value, 'indicator round-trips');
  t.equal(cef.ext.src, '10.0.0.1');
});

t.test('CEF in syslog: RFC 5424 header, no structured data, CEF as MSG', async (t) => {
  const line = formatCefSyslog(hit(0, { value: NASTY }), o);
  const p = parseRfc5424(line);
  t.equal(p.pri, 132);
  t.equal(p.sdId, undefined);
  t.equal(parseCef(p.msg!).ext.cs4, NASTY);
});
