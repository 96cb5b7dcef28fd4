// Preloaded into a gateway under test (NODE_OPTIONS=--import): the first DNS thread started
// runs into a loop that never yields, SLUICE_TEST_STUCK_MS after it starts, as a bug would.
// Threads started after it are left alone. Only DNS threads carry `ports` in their workerData.
import { existsSync, writeFileSync } from 'node:fs';
import { isMainThread, workerData } from 'node:worker_threads';

const marker = process.env.SLUICE_TEST_STUCK_MARKER;
if (!isMainThread && Array.isArray(workerData?.ports) && marker && !existsSync(marker)) {
  writeFileSync(marker, 'stuck\n');
  setTimeout(() => {
    for (;;);
  }, Number(process.env.SLUICE_TEST_STUCK_MS ?? 1000));
}
