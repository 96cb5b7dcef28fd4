import { readFileSync } from 'node:fs';
import type { ParsedConfig } from '../config/schema.js';
import { parseDuration, parseSize } from '../config/units.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { EventBus } from './bus.js';
import { FileSink } from './sinks/file.js';
import { SyslogSink } from './sinks/syslog.js';
import { WebhookSink } from './sinks/webhook.js';
import type { EventCallbacks, HitEvent, HitSource, Sink } from './types.js';

export { EventBus } from './bus.js';
export type { EventCallbacks, HitEvent, SinkName } from './types.js';

export type EventsConfig = ParsedConfig['events'];

/** Knobs the config does not expose; tests shorten the retry delays. */
export interface EventTuning {
  backoffMs?: number;
}

/**
 * The bus for `events:`, or undefined when no sink is configured. Every value is checked before
 * any sink exists, so a bad config refuses the start without a socket or file opened.
 */
export function createEventBus(config: EventsConfig, callbacks: EventCallbacks = {}, logger?: Logger, tuning: EventTuning = {}): EventBus | undefined {
  const flushIntervalMs = positive(parseDuration(config.flush_interval), 'events.flush_interval', 'a duration such as 1s or 500ms');
  const makers: Array<() => Sink> = [];

  if (config.file) {
    const { path, keep } = config.file;
    const maxBytes = positive(parseSize(config.file.max_bytes), 'events.file.max_bytes', 'a size such as 100MB');
    makers.push(() => new FileSink(path, maxBytes, keep));
  }
  if (config.syslog) {
    const s = config.syslog;
    if (s.host.trim() === '') throw new ConfigError('events.syslog.host', 'must name the collector');
    if (s.ca_file !== undefined && s.protocol !== 'tls') throw new ConfigError('events.syslog.ca_file', 'only applies to protocol tls');
    const ca = s.ca_file === undefined ? undefined : readCa(s.ca_file);
    makers.push(
      () =>
        new SyslogSink({
          host: s.host,
          port: s.port,
          protocol: s.protocol,
          format: s.format,
          appName: s.app_name,
          ...(ca ? { ca } : {}),
          ...(tuning.backoffMs !== undefined ? { backoffMs: tuning.backoffMs } : {}),
        }),
    );
  }
  if (config.webhook) {
    const w = config.webhook;
    checkUrl(w.url);
    const timeoutMs = positive(parseDuration(w.timeout), 'events.webhook.timeout', 'a duration such as 5s');
    makers.push(
      () =>
        new WebhookSink({
          url: w.url,
          headers: w.headers,
          retries: w.retries,
          timeoutMs,
          ...(tuning.backoffMs !== undefined ? { backoffMs: tuning.backoffMs } : {}),
        }),
    );
  }
  if (makers.length === 0) return undefined;

  return new EventBus(
    makers.map((make) => make()),
    { include: config.include, queueSize: config.queue_size, batchSize: config.batch_size, flushIntervalMs },
    callbacks,
    logger,
  );
}

/** What the DNS handler reports of a hit (its DnsHit), described here so events need not know DNS. */
export interface DnsHitReport {
  client: string;
  name: string;
  qtype: number;
  verdict: string;
  indicator: string;
  feeds: string[];
}

/** A DNS handler hit as an event. An allow verdict never reaches here; the bus would ignore it. */
export function dnsHitEvent(hit: DnsHitReport): HitEvent {
  return {
    time: new Date().toISOString(),
    source: 'dns',
    client: hit.client,
    value: hit.name,
    qtype: hit.qtype,
    verdict: hit.verdict as HitEvent['verdict'],
    indicator: hit.indicator,
    feeds: hit.feeds,
  };
}

/** A hit from the verdict or forward-auth routes, as the HTTP layer reports it. */
export interface HttpHit {
  source: Exclude<HitSource, 'dns'>;
  client?: string;
  value: string;
  type: string;
  verdict: string;
  indicator: string;
  feeds: string[];
}

export function httpHitEvent(hit: HttpHit): HitEvent {
  return {
    time: new Date().toISOString(),
    source: hit.source,
    ...(hit.client === undefined ? {} : { client: hit.client }),
    value: hit.value,
    type: hit.type,
    verdict: hit.verdict as HitEvent['verdict'],
    indicator: hit.indicator,
    feeds: hit.feeds,
  };
}

function positive(value: number | undefined, key: string, expected: string): number {
  if (value === undefined || !(value > 0)) throw new ConfigError(key, `must be ${expected}, above zero`);
  return value;
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('events.webhook.url', 'must be an http or https URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError('events.webhook.url', 'must be an http or https URL');
}

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError('events.syslog.ca_file', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
