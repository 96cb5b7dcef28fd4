import cluster from 'node:cluster';
import { loadConfig } from '../../config/load.js';
import { parseHostPort } from '../../config/units.js';
import { rootLogger, setLogLevel } from '../../log.js';
import { imageToSet } from '../../match/codec.js';
import { MatcherHolder } from '../../match/holder.js';
import { MemoryStore } from '../../store/memory/index.js';
import { Matcher } from '../../match/matcher.js';
import { Metrics } from '../../metrics/registry.js';
import { createEventBus, dnsHitEvent } from '../../events/index.js';
import type { DnsHit } from '../handler.js';
import { buildDnsStack } from '../stack.js';
import type { FromDnsWorker, ToDnsWorker } from './messages.js';

/**
 * A DNS worker process: the same listeners as every other worker, answering from the set the
 * primary sends it. It fetches nothing itself. On the batched helper each worker binds its own
 * UDP socket to the shared port and the kernel spreads clients over them; on Node's socket
 * the cluster shares one. TCP listeners are always the cluster's.
 */
const send = (m: FromDnsWorker) => process.send?.(m);
const config = loadConfig(process.env.SLUICE_CONFIG!);
setLogLevel(config.log.level);
const id = cluster.worker?.id ?? 0;
const logger = rootLogger().child({ component: 'dns', worker: id });
const metrics = new Metrics({ part: 'gateway' });
const holder = new MatcherHolder();
const snapshots = new MemoryStore(config.data_dir);
// Each worker sends its own hits: a bus per process, never a round trip through the primary.
const events = createEventBus(
  config.events,
  {
    onSent: (sink, n) => metrics.eventsSent.inc({ sink }, n),
    onDrop: (sink, n) => metrics.eventsDropped.inc({ sink }, n),
    onError: (sink) => metrics.eventsErrors.inc({ sink }),
  },
  logger.child({ component: 'events' }),
);
const stack = buildDnsStack(config, {
  holder,
  metrics,
  logger,
  logSuffix: `.w${id}`,
  reusePort: true,
  ...(events ? { onHit: (hit: DnsHit) => events.emit(dnsHitEvent(hit)) } : {}),
});

process.on('message', (m: ToDnsWorker) => {
  switch (m.type) {
    case 'set':
      try {
        holder.swap(new Matcher(imageToSet(m)));
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'cannot load the set sent by the primary; keeping the current one');
      }
      return;
    case 'load':
      void loadSnapshot(m.version);
      return;
    case 'metrics':
      void metrics.registry.getMetricsAsJSON().then((value) => send({ type: 'metrics', id: m.id, value }));
      return;
    case 'stop':
      void stack
        .close()
        .then(() => events?.close())
        .finally(() => process.exit(0));
  }
});

/** Version `version` from the snapshot; the primary sends the set itself when the file holds another. */
async function loadSnapshot(version: number): Promise<void> {
  try {
    const image = await snapshots.loadLatest();
    if (image?.meta.version === version) {
      holder.swap(new Matcher(imageToSet(image)));
      return;
    }
  } catch (err) {
    logger.debug({ err: (err as Error).message }, 'snapshot unreadable; asking the primary for the set');
  }
  if (holder.current?.version !== version) send({ type: 'want', version });
}

// The first worker's ports, for the ones after it. Node's shared socket needs the config's own
// port instead: the cluster hands every worker asking for port 0 the same socket.
const firstPorts = stack.server.udpMode === 'batched' ? process.env.SLUICE_DNS_PORTS?.split(',').map(Number) : undefined;
send({ type: 'hello' });
stack.server.listen(config.dns.listen.map((l, i) => ({ ...parseHostPort(l)!, ...(firstPorts ? { port: firstPorts[i]! } : {}) }))).then(
  () => send({ type: 'listening', ports: stack.server.bound.map((b) => b.port), udpMode: stack.server.udpMode }),
  (err: Error) => {
    send({ type: 'failed', error: err.message });
    process.exit(1);
  },
);
