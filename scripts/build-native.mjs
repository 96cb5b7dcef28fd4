// Builds the batched UDP helper for the DNS listener (native/dns-udp) when `npm ci` installs
// sluice. It is optional: without a compiler, or off Linux, the build is skipped with a
// warning and DNS runs on Node's own UDP socket, the same answers at roughly 0.6 of the queries per second.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../native/dns-udp/', import.meta.url));
const skip = (why) => {
  // A helper built before would still be loaded: what this install says must be what runs.
  rmSync(new URL('../native/dns-udp/build/', import.meta.url), { recursive: true, force: true });
  console.warn(`sluice: batched DNS UDP helper not built (${why}); DNS uses Node's UDP socket`);
  process.exit(0);
};
if (process.platform !== 'linux') skip('it needs Linux recvmmsg/sendmmsg');
if (process.env.SLUICE_SKIP_NATIVE) skip('SLUICE_SKIP_NATIVE is set');
// npm puts its own node-gyp on the PATH of install scripts.
const built = spawnSync('node-gyp', ['rebuild', '--directory', dir], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (built.error) skip(`node-gyp: ${built.error.message}`);
if (built.status !== 0) skip(`node-gyp failed: ${built.stderr.split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ')}`);
// stderr: npm ci shows an install script's stderr, not its stdout.
console.error('sluice: batched DNS UDP helper built (native/dns-udp)');
