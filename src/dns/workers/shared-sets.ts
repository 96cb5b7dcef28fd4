import { isShared, setToImage } from '../../match/codec.js';
import type { CompiledSet } from '../../match/compiled-set.js';
import { batchUdp } from '../batch-udp.js';

// Each set's bytes are taken back from the count once the set itself is collected.
const released = new FinalizationRegistry<number>((bytes) => batchUdp()?.externalMemory(-bytes));

/**
 * Counts a set in shared memory against this thread's heap for as long as the thread holds it.
 * V8 counts no SharedArrayBuffer towards any thread's garbage collection, so a thread that
 * swapped in one set after another saw only the few small objects each left behind and
 * collected none of them: measured, a DNS thread held 56 of 60 sets and memory grew to a
 * gigabyte. Counted, every new set is memory pressure as an ordinary buffer would be.
 */
export function holdSharedSet(set: CompiledSet): void {
  const io = batchUdp();
  if (!io || !isShared(set)) return;
  const buffers = new Set(Object.values(setToImage(set).sections).map((s) => s.buffer));
  let bytes = 0;
  for (const b of buffers) bytes += b.byteLength;
  io.externalMemory(bytes);
  released.register(set, bytes);
}
