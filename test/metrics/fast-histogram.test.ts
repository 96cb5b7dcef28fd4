// The lookup histogram is sluice's own (prom-client's observe cost as much as a DNS lookup):
// it must scrape to exactly what prom-client's Histogram gives for the same observations, and
// add up across DNS workers the same way.
import t from 'tap';
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { FastHistogram } from '../../src/metrics/fast-histogram.js';
import { LOOKUP_BUCKETS, Metrics } from '../../src/metrics/registry.js';

const NAME = 'sluice_lookup_duration_seconds';
const HELP = 'Time to look one value up in the current set';

function pair() {
  const ours = new Registry();
  const theirs = new Registry();
  const fast = new FastHistogram(NAME, HELP, LOOKUP_BUCKETS);
  ours.registerMetric(fast as never);
  const reference = new Histogram({ name: NAME, help: HELP, buckets: LOOKUP_BUCKETS, registers: [theirs] });
  return { ours, theirs, fast, reference };
}

// Below the first bucket, on bucket edges, between them, past the last, and zero.
const VALUES = [0, 4e-7, 1e-6, 1.7e-6, 2.5e-6, 3e-6, 9.9e-6, 2e-5, 7e-5, 1e-4, 3e-4, 1e-3, 5e-3, 1e-2, 0.5, 12];

t.test('scrapes to the same text as prom-client, empty and after observations', async (t) => {
  const { ours, theirs, fast, reference } = pair();
  t.equal(await ours.metrics(), await theirs.metrics(), 'empty');
  for (const v of VALUES) {
    fast.observe(v);
    reference.observe(v);
  }
  t.equal(await ours.metrics(), await theirs.metrics(), `after ${VALUES.length} observations`);
  t.match(await ours.metrics(), new RegExp(`${NAME}_count ${VALUES.length}\\n`));
  t.match(await ours.metrics(), new RegExp(`${NAME}_bucket\\{le="0.000001"\\} 3\\n`), 'cumulative: 0, 4e-7 and 1e-6 itself');
});

t.test('a value that is not a number is not counted', async (t) => {
  const fast = new FastHistogram(NAME, HELP, LOOKUP_BUCKETS);
  fast.observe(Number.NaN);
  fast.observe(Number.POSITIVE_INFINITY);
  t.equal(fast.get().values.at(-1)!.value, 0);
});

t.test('workers add up as prom-client histograms do', async (t) => {
  const a = pair();
  const b = pair();
  for (const [i, v] of VALUES.entries()) {
    const side = i % 2 ? a : b;
    side.fast.observe(v);
    side.reference.observe(v);
  }
  const ours = AggregatorRegistry.aggregate([await a.ours.getMetricsAsJSON(), await b.ours.getMetricsAsJSON()] as never);
  const theirs = AggregatorRegistry.aggregate([await a.theirs.getMetricsAsJSON(), await b.theirs.getMetricsAsJSON()] as never);
  t.equal(await ours.metrics(), await theirs.metrics());
});

t.test('the gateway registry exports it', async (t) => {
  const metrics = new Metrics({ part: 'gateway' });
  metrics.lookupDuration.observe(2e-6);
  t.match(await metrics.registry.metrics(), `# TYPE ${NAME} histogram\n${NAME}_bucket{le="0.000001"} 0\n${NAME}_bucket{le="0.0000025"} 1\n`);
});
