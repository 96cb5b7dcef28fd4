/** Delays that double from `baseMs`, capped, each scaled by a random 0.5–1.5 so that many senders do not retry in step. */
export function backoffMs(attempt: number, baseMs: number, capMs = 30_000): number {
  return Math.min(capMs, baseMs * 2 ** attempt) * (0.5 + Math.random());
}

/** Waits `ms`, or less when `signal` aborts (then rejects); never keeps the process alive. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('closed'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('closed'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
