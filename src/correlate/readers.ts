import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { classify, extractFromText, type Candidate } from './extract.js';

/** One log record's candidates, with where it is and when it happened. */
export interface LogRecord {
  line: number;
  time?: string;
  candidates: Candidate[];
}

export type LogFormat = 'zeek-tsv' | 'json' | 'access' | 'text';

/** Lines of a file, gunzipped when it starts with the gzip magic bytes. */
export async function* readLines(path: string): AsyncGenerator<string> {
  const handle = await open(path, 'r');
  const head = Buffer.alloc(2);
  await handle.read(head, 0, 2, 0);
  await handle.close();
  const raw = createReadStream(path);
  const input = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  yield* createInterface({ input, crlfDelay: Infinity });
}

const ACCESS = /^(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+)[^"]*" \d{3} \S+(?: "([^"]*)" "([^"]*)")?/;

/**
 * Reads one log: Zeek TSV (its #fields header names the columns), JSON lines (Zeek JSON,
 * Suricata EVE, anything else), nginx/Apache access logs, and plain text. The format is told
 * by the first lines, per file.
 */
export async function* readRecords(path: string): AsyncGenerator<LogRecord & { format: LogFormat }> {
  let format: LogFormat | undefined;
  let fields: string[] = [];
  let lineNo = 0;
  for await (const line of readLines(path)) {
    lineNo++;
    if (line.startsWith('#')) {
      if (line.startsWith('#fields\t')) {
        fields = line.split('\t').slice(1);
        format = 'zeek-tsv';
      }
      continue;
    }
    if (line.trim() === '') continue;
    format ??= line.trimStart().startsWith('{') ? 'json' : ACCESS.test(line) ? 'access' : 'text';
    const record = parseLine(format, line, fields);
    if (record) yield { ...record, line: lineNo, format };
  }
}

function parseLine(format: LogFormat, line: string, fields: string[]): Omit<LogRecord, 'line'> | undefined {
  switch (format) {
    case 'zeek-tsv': {
      const cells = line.split('\t');
      const values: Record<string, unknown> = {};
      fields.forEach((f, i) => {
        const cell = cells[i];
        if (cell !== undefined && cell !== '-' && cell !== '(empty)') values[f] = cell.includes(',') ? cell.split(',') : cell;
      });
      return fromObject(values);
    }
    case 'json': {
      try {
        return fromObject(JSON.parse(line) as Record<string, unknown>);
      } catch {
        return { candidates: extractFromText(line) };
      }
    }
    case 'access': {
      const m = ACCESS.exec(line);
      if (!m) return { candidates: extractFromText(line) };
      const candidates: Candidate[] = [];
      const client = classify(m[1]!, 'client');
      if (client) candidates.push(client);
      candidates.push(...extractFromText(m[4]!, 'request'));
      if (m[5] && m[5] !== '-') candidates.push(...extractFromText(m[5], 'referer'));
      return { time: m[2]!, candidates };
    }
    default:
      return { candidates: extractFromText(line) };
  }
}

/**
 * Candidates of a structured record: each string field on its own, plus the URLs that only
 * exist as host and path in separate fields (Zeek http: host + uri; EVE: http.hostname + http.url).
 */
function fromObject(record: Record<string, unknown>): Omit<LogRecord, 'line'> {
  const candidates: Candidate[] = [];
  const walk = (value: unknown, path: string) => {
    if (typeof value === 'string') {
      const c = classify(value, path);
      if (c) candidates.push(c);
      else if (value.length > 12 && /[./:]/.test(value)) candidates.push(...extractFromText(value, path));
    } else if (Array.isArray(value)) {
      for (const v of value) walk(v, path);
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    }
  };
  walk(record, '');
  const http = (record.http ?? {}) as Record<string, unknown>;
  const host = (record.host ?? http.hostname) as string | undefined;
  const path = (record.uri ?? http.url) as string | undefined;
  if (typeof host === 'string' && typeof path === 'string' && path.startsWith('/')) {
    candidates.push({ kind: 'url', value: `http://${host}${path}`, field: record.uri ? 'host+uri' : 'http.hostname+http.url' });
  }
  const raw = record.ts ?? record.timestamp;
  // Zeek TSV writes epoch seconds as text; Zeek JSON and EVE write ISO times.
  const ts = typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  const time = typeof ts === 'string' ? ts : typeof ts === 'number' ? new Date(ts * 1000).toISOString() : undefined;
  return time ? { time, candidates } : { candidates };
}
