import type { Config } from '../../config/load.js';
import { createEventBus, dnsHitEvent } from '../../events/index.js';
import type { Logger } from '../../log.js';
import { imageToSet } from '../../match/codec.js';
import { MatcherHolder } from '../../match/holder.js';
import { Matcher } from '../../match/matcher.js';
import { Metrics } from '../../metrics/registry.js';
import type { DnsHit } from '../handler.js';
import { buildDnsStack, type DnsStack } from '../stack.js';
import type { FromDnsWorker, ToDnsWorker } from './messages.js';
import { holdSharedSet } from './shared-sets.js';

export interface DnsWorker {
  stack: DnsStack;
  holder: MatcherHolder;
  /** Handles what the main side sends that is the same for threads and processes. */
  onMessage(m: ToDnsWorker): void;
}

/**
 * What every DNS worker runs, a thread or a process: its own listeners, metrics, answer cache,
 * rate limiter and event bus (hits are sent from where they happen, never through the main
 * side), answering from the sets the main side hands it.
 */
export function startDnsWorker(opts: {
  config: Config;
  logger: Logger;
  id: number;
  send: (m: FromDnsWorker) => void;
  /** Called once the worker has closed, to end it. */
  exit: () => void;
  tcp: boolean;
}): DnsWorker {
  const { config, logger } = opts;
  const metrics = new Metrics({ part: 'gateway' });
  const holder = new MatcherHolder();
  const events = createEventBus(config.events, metrics.eventCounts, logger.child({ component: 'events' }));
  const stack = buildDnsStack(config, {
    holder,
    metrics,
    logger,
    logSuffix: `.w${opts.id}`,
    udpSharers: config.dns.workers,
    tcp: opts.tcp,
    ...(events ? { onHit: (hit: DnsHit) => events.emit(dnsHitEvent(hit)) } : {}),
  });
  return {
    stack,
    holder,
    onMessage(m) {
      switch (m.type) {
        case 'set':
          try {
            const set = imageToSet(m);
            holdSharedSet(set);
            holder.swap(new Matcher(set));
          } catch (err) {
            logger.error({ err: (err as Error).message }, 'cannot load the set sent by the main side; keeping the current one');
          }
          return;
        case 'metrics':
          void metrics.registry.getMetricsAsJSON().then((value) => opts.send({ type: 'metrics', id: m.id, value }));
          return;
        case 'stop':
          void stack
            .close()
            .then(() => events?.close())
            .finally(opts.exit);
          return;
        case 'ping':
          opts.send({ type: 'pong' });
          return;
        case 'load':
          return;
      }
    },
  };
}
