/**
 * Real components for the distributed tests: redis-server (Debian) on a free loopback port
 * with persistence off, and `tdakit worker` processes; everything started here is killed by
 * `stopAll()`, and every wait is bounded.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const repo = fileURLToPath(new URL('..', import.meta.url));
const started: ChildProcess[] = [];

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
function waitForOutput(child: ChildProcess, marker: RegExp, timeoutMs: number, what: string): Promise<void> {
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

/** `tdakit worker` in a child process (short locks so a killed worker's job returns quickly). */
export async function startWorkerProcess(
  url: string,
  dataRoot: string,
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repo, 'src/cli.ts'),
      'worker',
      '--redis',
      url,
      '--data-root',
      dataRoot,
      '--models',
      join(repo, 'test/fixtures/distributed-models.ts'),
      '--lock-ms',
      '2000',
      '--stalled-ms',
      '1000',
    ],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  started.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitForOutput(child, /tdakit worker: ready/, 60_000, 'tdakit worker');
  return { process: child, output: () => out };
}

/** A throw-away CA and a server certificate for 127.0.0.1 (openssl), in `dir`. */
export function makeCertificates(dir: string): { cert: string; key: string; ca: string } {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=tdakit test CA');
  ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'san.cnf',
  );
  return { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'ca.crt') };
}

/** Kills everything this harness started. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    started.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}
