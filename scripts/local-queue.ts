/**
 * A distributed run's real components on this machine, for the distributed tests
 * (test/distributed-harness.ts) and bench/distributed.ts: redis-server (Debian) on a free
 * loopback port with persistence off, and `tdakit worker` processes started from src/ with the
 * external models of scripts/local-queue-models.ts. Every wait is bounded; everything
 * started here is ended by `stopAll()` (or `killAll()` on exit). Not shipped in the package.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const started: ChildProcess[] = [];

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when `child` prints `marker` (stdout or stderr); rejects on exit or after `timeoutMs`. */
export function waitForOutput(child: ChildProcess, marker: RegExp, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`${what}: not ready within ${timeoutMs} ms; output: ${seen.slice(-2000)}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (marker.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what}: exited (${code}) before ready; output: ${seen.slice(-2000)}`));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  process: ChildProcess;
}

/** redis-server on 127.0.0.1, no RDB/AOF, optionally with a password or TLS only (given its certificate files). */
export async function startRedis(
  password?: string,
  tls?: { cert: string; key: string; ca: string },
): Promise<RedisServer> {
  const port = await freePort();
  const args = [
    '--port',
    tls ? '0' : String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    ...(password ? ['--requirepass', password] : []),
    ...(tls
      ? [
          '--tls-port',
          String(port),
          '--tls-cert-file',
          tls.cert,
          '--tls-key-file',
          tls.key,
          '--tls-ca-cert-file',
          tls.ca,
          '--tls-auth-clients',
          'no',
        ]
      : []),
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  await waitForOutput(child, /Ready to accept connections/, 10_000, 'redis-server');
  return { url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`, port, process: child };
}

export interface WorkerProcess {
  process: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
}

/** How a `tdakit worker` child is started beyond its Redis URL and data root. */
export interface WorkerProcessOptions {
  /** Further `tdakit worker` flags (`--lock-ms`, `--quiet`...). */
  args?: string[];
  /** Added to this process's environment. */
  env?: Record<string, string>;
}

/** `tdakit worker` (from src/, through tsx) in a child process, resolved once it says it is ready. */
export async function startWorkerProcess(
  url: string,
  dataRoot: string,
  { args = [], env = {} }: WorkerProcessOptions = {},
): Promise<WorkerProcess> {
  const cli = join(repo, 'src/cli.ts');
  const models = join(repo, 'scripts/local-queue-models.ts');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', cli, 'worker', '--redis', url, '--data-root', dataRoot, '--models', models, ...args],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  started.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitForOutput(child, /tdakit worker: ready/, 60_000, 'tdakit worker');
  return { process: child, output: () => out };
}

/** SIGTERM, then SIGKILL after 3 s; resolves once the process has exited. */
export function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Stops everything started here. */
export async function stopAll(): Promise<void> {
  await Promise.all(started.splice(0).map(stopProcess));
}

/** SIGKILLs everything started here that still runs, at once (for a `process.on('exit')` handler). */
export function killAll(): void {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
