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
 * cannot share): the same listeners as every other worker, shared by the cluster, answering
 * from the set the primary announces. It fetches nothing itself.
 */
const send = (m: FromDnsWorker) => process.send?.(m);
const config = loadConfig(process.env.SLUICE_CONFIG!);
setLogLevel(config.log.level);
const id = cluster.worker?.id ?? 0;
const logger = rootLogger().child({ component: 'dns', worker: id });
const snapshots = new MemoryStore(config.data_dir);
// Node's socket always: the cluster shares it (threads take the helper's sockets instead).
const worker = startDnsWorker({ config: { ...config, dns: { ...config.dns, udp_io: 'node' } }, logger, id, send, exit: () => process.exit(0), tcp: true });

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

const { server } = worker.stack;
send({ type: 'hello' });
server.listen(config.dns.listen.map((l) => parseHostPort(l)!)).then(
  () => send({ type: 'listening', ports: server.bound.map((b) => b.port) }),
  (err: Error) => {
    send({ type: 'failed', error: err.message });
    process.exit(1);
  },
);
