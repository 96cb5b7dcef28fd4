// Feed hosts resolve through the gateway's own upstreams, never through the system resolver
// (which may be this gateway, blocking the feed's own publisher).
import t from 'tap';
import { DnsStub } from '../helpers/dns-stub.js';
import { FeedServer } from '../helpers/feed-server.js';
import { fetchSource, useFeedResolvers } from '../../src/feeds/fetch/index.js';

t.test('a feed host is looked up at the configured upstream', async (t) => {
  const stub = new DnsStub({ 'feeds.sluice-test.example': { A: '127.0.0.1' } });
  await stub.start();
  t.teardown(() => stub.stop());
  const server = new FeedServer();
  await server.start();
  t.teardown(() => server.stop());
  server.serveBody('/list.txt', 'listed.example.org\n');
  useFeedResolvers([`127.0.0.1:${stub.port}`]);
  t.teardown(() => useFeedResolvers([]));
  const url = server.url('/list.txt').replace('127.0.0.1', 'feeds.sluice-test.example');
  const outcome = await fetchSource({ feed: 'f', url, timeoutMs: 3000, maxBytes: 1e6, retries: 0, backoffMs: 10, userAgent: 'test', headers: {} });
  t.equal(outcome.kind, 'body');
  t.equal(outcome.kind === 'body' && outcome.body.toString(), 'listed.example.org\n');
  t.ok(stub.asked.includes('feeds.sluice-test.example'), 'the upstream was asked for the feed host');
});
