import cluster from 'node:cluster';
import { loadConfig } from '../../config/load.js';
import { parseHostPort } from '../../config/units.js';
import { rootLogger, setLogLevel } from '../../log.js';
import { imageToSet } from '../../match/codec.js';
import { Matcher } from '../../match/matcher.js';
import { MemoryStore } from '../../store/memory/index.js';
import type { FromDnsWorker, ToDnsWorker } from './messages.js';
import { startDnsWorker } from './worker-stack.js';

/**
 * A DNS worker process, for when workers cannot be threads (Node's UDP socket, which threads
 * cannot share): the same listeners as every other worker, answering from the set the primary
 * announces. It fetches nothing itself. On the batched helper each worker binds its own UDP
 * socket to the shared port; on Node's socket the cluster shares one. TCP listeners are
 * always the cluster's.
 */
const send = (m: FromDnsWorker) => process.send?.(m);
const config = loadConfig(process.env.SLUICE_CONFIG!);
setLogLevel(config.log.level);
const id = cluster.worker?.id ?? 0;
const logger = rootLogger().child({ component: 'dns', worker: id });
const snapshots = new MemoryStore(config.data_dir);
const worker = startDnsWorker({ config, logger, id, send, exit: () => process.exit(0), tcp: true });

process.on('message', (m: ToDnsWorker) => {
  if (m.type === 'load') void loadSnapshot(m.version);
  else worker.onMessage(m);
});

/** Version `version` from the snapshot; the primary sends the set itself when the file holds another. */
async function loadSnapshot(version: number): Promise<void> {
  try {
    const image = await snapshots.loadLatest();
    if (image?.meta.version === version) {
      worker.holder.swap(new Matcher(imageToSet(image)));
      return;
    }
  } catch (err) {
    logger.debug({ err: (err as Error).message }, 'snapshot unreadable; asking the primary for the set');
  }
  if (worker.holder.current?.version !== version) send({ type: 'want', version });
}

// The first worker's ports, for the ones after it. Node's shared socket needs the config's own
// port instead: the cluster hands every worker asking for port 0 the same socket.
const { server } = worker.stack;
const firstPorts = server.udpMode === 'batched' ? process.env.SLUICE_DNS_PORTS?.split(',').map(Number) : undefined;
send({ type: 'hello' });
server.listen(config.dns.listen.map((l, i) => ({ ...parseHostPort(l)!, ...(firstPorts ? { port: firstPorts[i]! } : {}) }))).then(
  () => send({ type: 'listening', ports: server.bound.map((b) => b.port), udpMode: server.udpMode }),
  (err: Error) => {
    send({ type: 'failed', error: err.message });
    process.exit(1);
  },
);
