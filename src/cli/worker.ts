/**
 * `tdakit worker`: a worker process for distributed runs, and the `--queue` options that send a
 * coordinator command's units to such workers.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import type { PerturbableModel } from '../daunce/runner.ts';
import type { RedisConnection } from '../distributed/connection.ts';
import type { QueueOptions } from '../distributed/executor.ts';

/** The connection of a command: the URL, with the password from TDAKIT_REDIS_PASSWORD (kept off the command line) and a CA file for rediss://. */
export function connectionFrom(url: string, tlsCa?: string): RedisConnection {
  const password = process.env.TDAKIT_REDIS_PASSWORD;
  return {
    url,
    ...(password ? { password } : {}),
    ...(tlsCa ? { tls: { ca: readFileSync(tlsCa) } } : {}),
  };
}

/** Adds --queue and --queue-data-dir to a coordinator command. */
export function withQueueOptions(cmd: Command): Command {
  return cmd
    .option(
      '--queue <redis-url>',
      'run the units on tdakit workers over Redis (redis:// or rediss://; password in TDAKIT_REDIS_PASSWORD)',
    )
    .option(
      '--queue-data-dir <dir>',
      'with --queue: a directory the workers read as their --data-root (default: data stored in Redis)',
    )
    .option('--tls-ca <file>', 'with a rediss:// URL: CA certificate of the Redis server');
}

/** The queue option of a coordinator call, or nothing without --queue. */
export function queueFrom(
  o: { queue?: string; queueDataDir?: string; tlsCa?: string },
  onJob?: QueueOptions['onJob'],
): { queue?: QueueOptions } {
  if (!o.queue) return {};
  return {
    queue: {
      connection: connectionFrom(o.queue, o.tlsCa),
      ...(o.queueDataDir ? { dataDir: o.queueDataDir } : {}),
      ...(onJob ? { onJob } : {}),
    },
  };
}

const positive = (name: string) => (v: string) => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return x;
};

/** Registers `tdakit worker`. */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'take retrain and perturbed-model jobs from coordinators over Redis (BullMQ) until stopped (SIGINT/SIGTERM)',
    )
    .requiredOption(
      '--redis <url>',
      'redis://host:port or rediss://host:port (password in TDAKIT_REDIS_PASSWORD or the URL)',
    )
    .option('--concurrency <n>', 'jobs at once', positive('--concurrency'), 1)
    .option('--data-root <dir>', 'directory file: data URIs resolve in (nothing outside it is read)')
    .option('--models <module>', 'a local ES module whose export `models` maps names to external PerturbableModels')
    .option('--prefix <prefix>', 'Redis key prefix shared with the coordinators', 'tdakit')
    .option('--lock-ms <ms>', "a killed worker's job is retried after this long", positive('--lock-ms'), 30000)
    .option('--stalled-ms <ms>', 'how often jobs of killed workers are looked for', positive('--stalled-ms'), 15000)
    .option('--tls-ca <file>', 'with a rediss:// URL: CA certificate of the Redis server')
    .option('--quiet', 'do not log each job')
    .action(async (o) => {
      let models: Record<string, PerturbableModel> = {};
      if (o.models) {
        const mod = (await import(pathToFileURL(resolve(o.models)).href)) as {
          models?: Record<string, PerturbableModel>;
        };
        if (!mod.models || typeof mod.models !== 'object')
          throw new InvalidArgumentError(`--models ${o.models} must export \`models\` (name -> PerturbableModel)`);
        models = mod.models;
      }
      const controller = new AbortController();
      const { startWorker } = await import('../distributed/worker.ts');
      const worker = await startWorker({
        connection: connectionFrom(o.redis, o.tlsCa),
        concurrency: o.concurrency,
        signal: controller.signal,
        ...(o.dataRoot ? { dataRoot: o.dataRoot } : {}),
        models,
        prefix: o.prefix,
        lockDurationMs: o.lockMs,
        stalledIntervalMs: o.stalledMs,
        onJob: o.quiet
          ? undefined
          : (e) =>
              process.stderr.write(
                `${e.ok ? 'done' : 'FAILED'} ${e.kind} ${e.runId.slice(0, 12)} unit ${e.unit} in ${e.seconds.toFixed(2)} s${e.error ? `: ${e.error}` : ''}\n`,
              ),
      });
      process.stderr.write(
        `tdakit worker: ready (pid ${process.pid}, concurrency ${o.concurrency}${o.dataRoot ? `, data root ${o.dataRoot}` : ''}${Object.keys(models).length ? `, models ${Object.keys(models).join(', ')}` : ''})\n`,
      );
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort());
      await worker.closed;
      process.stderr.write(
        `tdakit worker: stopped after ${worker.stats().completed} jobs (${worker.stats().failed} failed)\n`,
      );
    });
}
