import { parentPort, workerData } from 'node:worker_threads';
import { parseHostPort } from '../../config/units.js';
import { rootLogger, setLogLevel } from '../../log.js';
import type { DnsThreadData, FromDnsWorker, ToDnsWorker } from './messages.js';
import { startDnsWorker } from './worker-stack.js';

/**
 * A DNS thread: UDP on the main thread's ports, each thread its own socket on the batched
 * helper (SO_REUSEPORT), answering from the set the main thread shares with it. The set's
 * memory is shared, not copied, so a thread costs its own heap and answer cache only. TCP
 * stays with the main thread.
 */
const port = parentPort!;
const { config, id, ports, set } = workerData as DnsThreadData;
setLogLevel(config.log.level);
const logger = rootLogger().child({ component: 'dns', worker: id });
const send = (m: FromDnsWorker) => port.postMessage(m);
const worker = startDnsWorker({ config, logger, id, send, exit: () => process.exit(0), tcp: false });
// The set current when the thread was started, before any socket opens: a thread started
// again after a crash never answers from an empty set.
if (set) worker.onMessage(set);
port.on('message', (m: ToDnsWorker) => worker.onMessage(m));

const { server } = worker.stack;
server.listen(config.dns.listen.map((l, i) => ({ ...parseHostPort(l)!, port: ports[i]! }))).then(
  () => send({ type: 'listening', ports: server.bound.map((b) => b.port) }),
  (err: Error) => {
    send({ type: 'failed', error: err.message });
    process.exit(1);
  },
);
