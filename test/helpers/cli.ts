import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const run = promisify(execFile);

/** Runs the built CLI to completion. */
export async function sluice(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export interface Served {
  child: ChildProcess;
  dnsPort: number;
  httpPort: number;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** Starts `sluice serve` and waits for its "listening" log line, which names the bound ports. */
export function serve(config: string, timeoutMs = 20_000, args: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', config, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sluice serve did not start:\n${err}`));
    }, timeoutMs);
    child.on('exit', (code) => reject(new Error(`sluice serve exited with ${code}:\n${err}`)));
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const line = err.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (!line) return;
      clearTimeout(timer);
      const { dns, http } = JSON.parse(line) as { dns: number[]; http: number };
      resolve({
        child,
        dnsPort: dns[0]!,
        httpPort: http,
        stderr: () => err,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** Runs dig against a local server and returns its full output. */
export async function dig(port: number, args: string[]): Promise<string> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=3', '+tries=1', ...args]);
  return stdout;
}

export function digStatus(output: string): string | undefined {
  return /status: ([A-Z]+)/.exec(output)?.[1];
}
