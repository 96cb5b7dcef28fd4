import { stat } from 'node:fs/promises';
import type { Matcher } from '../match/matcher.js';
import { parseQuery } from '../match/query.js';
import { decide, describe, type Verdict } from '../match/verdict.js';
import type { ThreatContext } from '../indicators/types.js';
import { readRecords, type LogFormat } from './readers.js';

/** An indicator seen in a log: where, when, and what the set says of it. */
export interface Finding {
  file: string;
  line: number;
  format: LogFormat;
  time?: string;
  field: string;
  value: string;
  verdict: Verdict;
  indicator: string;
  feeds: string[];
  tags: string[];
  context: ThreatContext[];
}

export interface CorrelateOptions {
  /** Report monitor hits too (default), or blocks only. */
  minVerdict: 'monitor' | 'block';
  /** Called every `progressEvery` lines with the running counts. */
  onProgress?: (file: string, lines: number, findings: number, bytes: number) => void;
  progressEvery?: number;
}

/**
 * Retro-hunt: every address, name, URL and hash in the logs, looked up in the set. The same
 * value in the same record is reported once; each record is reported with its own line.
 */
export async function* correlate(matcher: Matcher, files: readonly string[], options: CorrelateOptions): AsyncGenerator<Finding> {
  const every = options.progressEvery ?? 100_000;
  for (const file of files) {
    const bytes = (await stat(file)).size;
    let lines = 0;
    let found = 0;
    for await (const record of readRecords(file)) {
      if (++lines % every === 0) options.onProgress?.(file, lines, found, bytes);
      const seen = new Set<string>();
      for (const c of record.candidates) {
        const key = `${c.kind}:${c.value}`;
        if (seen.has(key)) continue;
        seen.add(key);
        let decision;
        try {
          decision = decide(matcher, parseQuery(c.value, c.kind === 'url' ? 'url' : c.kind === 'ip' ? 'ip' : c.kind === 'hash' ? 'hash' : 'domain'));
        } catch {
          continue; // not a value a lookup takes after all
        }
        if (decision.verdict === 'allow' || (options.minVerdict === 'block' && decision.verdict !== 'block')) continue;
        const body = describe(decision);
        found++;
        const finding: Finding = {
          file,
          line: record.line,
          format: record.format,
          field: c.field,
          value: c.value,
          verdict: decision.verdict,
          indicator: body.match!.indicator,
          feeds: body.sources.map((s) => s.feed),
          tags: body.tags,
          context: body.context,
        };
        if (record.time) finding.time = record.time;
        yield finding;
      }
    }
    options.onProgress?.(file, lines, found, bytes);
  }
}
