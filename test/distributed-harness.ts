/**
 * Real components for the distributed tests: redis-server and `tdakit worker` processes from
 * the shared scripts/local-queue.ts (also used by bench/distributed.ts), workers with short
 * locks, and throw-away TLS certificates. Everything started is killed by `stopAll()`, and
 * every wait is bounded.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startWorkerProcess as startWorker, type WorkerProcess } from '../scripts/local-queue.ts';

export { startRedis, stopAll } from '../scripts/local-queue.ts';
export type { RedisServer, WorkerProcess } from '../scripts/local-queue.ts';

/** `tdakit worker` in a child process (short locks so a killed worker's job returns quickly). */
export function startWorkerProcess(
  url: string,
  dataRoot: string,
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  return startWorker(url, dataRoot, { args: ['--lock-ms', '2000', '--stalled-ms', '1000'], env });
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
