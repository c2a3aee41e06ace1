/**
 * Distributed runs on a real redis-server and two `tdakit worker` processes: the same bits as
 * a local run, faults (kill -9, restart, duplicates, abort, failing units), refusals (data
 * outside the root, malformed jobs, forged results) and a password-protected Redis.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import {
  LogisticRegression,
  MultilayerPerceptron,
  benchmarkRemoval,
  daunce,
  groundTruth,
  type RemovalRecord,
} from '../src/index.ts';
import {
  encodeBundle,
  jobId,
  queueName,
  QueueRun,
  RedisUnavailableError,
  ResultRefusedError,
  runsKey,
  sha256,
  startWorker,
} from '../src/distributed/index.ts';
import { probeRedis, resolveConnection } from '../src/distributed/connection.ts';
import { EXTERNAL_M, EXTERNAL_N, models } from '../scripts/local-queue-models.ts';
import {
  makeCertificates,
  startRedis,
  startWorkerProcess,
  stopAll,
  type RedisServer,
  type WorkerProcess,
} from './distributed-harness.ts';
import { logisticData, multiclassData } from './helpers.ts';
import { drawPerturbation } from '../src/daunce/perturbation.ts';
import { hashArray } from '../src/hash.ts';

const sameBits = (a: Float64Array, b: Float64Array, what: string) => {
  assert.equal(a.length, b.length, `${what}: lengths`);
  assert.ok(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
    `${what}: not bit-identical`,
  );
};
/** Records without their wall-clock field (which differs between any two runs). */
const untimed = (records: RemovalRecord[]) => records.map(({ retrainSeconds: _s, ...r }) => r);

const repo = fileURLToPath(new URL('..', import.meta.url));
const DELAY_MS = 300;
let redis: RedisServer;
let dataRoot: string;
const workers: WorkerProcess[] = [];
const bull = () =>
  ({ ...resolveConnection('test', redis.url).options, maxRetriesPerRequest: null }) as unknown as ConnectionOptions;
/** A BullMQ handle on a run's queue, to look at its jobs from outside the library. */
const queueOf = (runId: string) => new Queue(queueName(runId), { connection: bull(), prefix: 'tdakit' });
/** Daunce over the deterministic external model (EXTERNAL_N training, EXTERNAL_M query rows). */
const externalDaunce = (K: number, seed?: number) => ({
  model: models.deterministic!,
  train: { n: EXTERNAL_N },
  queries: { m: EXTERNAL_M },
  K,
  ...(seed === undefined ? {} : { seed }),
});
/** The RIF protocol run here, then through the queue (counting its jobs). */
async function removalHereAndQueued(options: Parameters<typeof benchmarkRemoval>[0]) {
  const local = await benchmarkRemoval(options);
  const jobs: number[] = [];
  const remote = await benchmarkRemoval({
    ...options,
    queue: { connection: redis.url, onJob: (e) => jobs.push(e.unit) },
  });
  return { local, remote, jobs };
}
/** Polls `done` every 100 ms until it holds or `ms` passed. */
async function waitUntil(done: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

describe('distributed (redis-server + 2 tdakit workers)', { timeout: 170_000 }, () => {
  before(async () => {
    redis = await startRedis();
    dataRoot = mkdtempSync(join(tmpdir(), 'tdakit-data-root-'));
    const env = { TDAKIT_TEST_MODEL_DELAY_MS: String(DELAY_MS) };
    workers.push(
      ...(await Promise.all([
        startWorkerProcess(redis.url, dataRoot, env),
        startWorkerProcess(redis.url, dataRoot, env),
      ])),
    );
  });
  after(stopAll);

  test('daunce on the queue equals daunce here, bit for bit', async () => {
    const { X, y } = logisticData(60, 4, 11);
    const model = await LogisticRegression.fit(X, y, { lambda: 1 });
    const queries = { X: logisticData(5, 4, 12).X, y: logisticData(5, 4, 12).y };
    const options = { model, queries, K: 8, seed: 5, variant: 'hessian' as const };
    const local = await daunce(options);
    const progress: number[] = [];
    const remote = await daunce({
      ...options,
      queue: { connection: redis.url },
      onProgress: (p) => progress.push(p.k),
    });
    sameBits(await remote.scores(), await local.scores(), 'daunce scores');
    sameBits(await remote.scores('covariance'), await local.scores('covariance'), 'daunce covariance');
    assert.equal(progress.length, 8);
    assert.match(workers.map((w) => w.output()).join(''), /done daunce-model/, 'the workers trained the models');
  });

  test('RIF protocol on the queue: the same records and summary as here', async () => {
    const { X, y } = logisticData(120, 5, 21);
    const data = { name: 'synthetic', X, y };
    const options = {
      data,
      lambda: 0.5,
      sizes: [0.02, 0.05, 0.1],
      strategies: ['random', 'highest-loss', 'if-test-loss-positive'] as never,
      seed: 3,
      testHighestLoss: 5,
      testRandom: 5,
    };
    const { local, remote, jobs } = await removalHereAndQueued(options);
    assert.deepEqual(untimed(remote.records), untimed(local.records));
    assert.deepEqual(remote.summary, local.summary);
    assert.equal(jobs.length, 9);
  });

  test('the softmax RIF protocol on the queue: the same records as here', async () => {
    const { X, y } = multiclassData(90, 3, 3, 22);
    const options = {
      data: { name: 'synthetic-3-class', X, y },
      model: 'softmax' as const,
      lambda: 0.5,
      sizes: [0.02, 0.1],
      strategies: ['random', 'highest-loss'] as never,
      seed: 4,
      testHighestLoss: 4,
      testRandom: 4,
    };
    const { local, remote, jobs } = await removalHereAndQueued(options);
    assert.deepEqual(untimed(remote.records), untimed(local.records));
    assert.equal(jobs.length, 4);
  });

  test('LDS ground truth on the queue (data through a shared data root): the same outputs', async () => {
    const { X, y } = logisticData(80, 4, 31);
    const model = await LogisticRegression.fit(X, y, { lambda: 1 });
    const q = logisticData(6, 4, 32);
    const options = { model, queries: { X: q.X, y: q.y }, subsets: 7, alpha: 0.5, seed: 9, target: 'logit' as const };
    const local = await groundTruth(options);
    const remote = await groundTruth({ ...options, queue: { connection: redis.url, dataDir: dataRoot } });
    sameBits(remote.outputs, local.outputs, 'LDS outputs');
    assert.deepEqual(remote.subsets, local.subsets);
    // Results through files in the shared directory (forced for these small ones), removed after the run.
    const viaFiles = await groundTruth({
      ...options,
      queue: { connection: redis.url, dataDir: dataRoot, fileResultBytes: 0 },
    });
    sameBits(viaFiles.outputs, local.outputs, 'LDS outputs through result files');
    assert.deepEqual(readdirSync(join(dataRoot, 'tdakit-results')), [], 'result files are removed after the run');
  });

  test('LDS ground truth of a stochastic model (MLP, seeds averaged) on the queue: the same outputs', async () => {
    const { X, y } = logisticData(40, 3, 33);
    const model = await MultilayerPerceptron.fit(X, y, { hidden: [4], epochs: 2, batchSize: 8, seed: 1 });
    const q = logisticData(4, 3, 34);
    const options = { model, queries: { X: q.X, y: q.y }, subsets: 3, seeds: 2, seed: 2 };
    sameBits(
      (await groundTruth({ ...options, queue: { connection: redis.url } })).outputs,
      (await groundTruth(options)).outputs,
      'MLP LDS outputs',
    );
  });

  test('tdakit daunce --queue writes the same top-k as without', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdakit-cli-queue-'));
    const csv = (d: { X: { rows: number; cols: number; data: Float64Array }; y: Float64Array }) =>
      Array.from({ length: d.X.rows }, (_, i) =>
        [...d.X.data.subarray(i * d.X.cols, (i + 1) * d.X.cols), d.y[i]].join(','),
      ).join('\n') + '\n';
    writeFileSync(join(dir, 'train.csv'), csv(logisticData(50, 3, 71)));
    writeFileSync(join(dir, 'queries.csv'), csv(logisticData(4, 3, 72)));
    const run = (extra: string[], out: string) =>
      execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli.ts',
          'daunce',
          '--train',
          join(dir, 'train.csv'),
          '--queries',
          join(dir, 'queries.csv'),
          '--K',
          '5',
          '--top-k',
          '3',
          '--out',
          join(dir, out),
          ...extra,
        ],
        { stdio: 'pipe', timeout: 60_000 },
      );
    run([], 'local.jsonl');
    run(['--queue', redis.url], 'remote.jsonl');
    assert.equal(readFileSync(join(dir, 'remote.jsonl'), 'utf8'), readFileSync(join(dir, 'local.jsonl'), 'utf8'));
  });

  test('external models by name; kill -9 of a worker mid-job loses nothing', async () => {
    const external = { ...externalDaunce(10, 2), variant: 'hessian' as const };
    const local = await daunce(external);
    const runId = 'kill-test';
    const watcher = queueOf(runId);
    let killed = false;
    const victim = workers[0]!;
    const watch = setInterval(() => {
      void watcher
        .getActiveCount()
        .then((active) => {
          // Both workers hold a job (concurrency 1 each): the victim is mid-job.
          if (!killed && active >= 2) {
            killed = true;
            victim.process.kill('SIGKILL');
          }
        })
        .catch(() => {});
    }, 50);
    try {
      const remote = await daunce({
        ...external,
        queue: { connection: redis.url, runId, externalModel: 'deterministic' },
      });
      sameBits(await remote.scores(), await local.scores(), 'scores after a kill -9');
    } finally {
      clearInterval(watch);
      await watcher.close();
    }
    assert.ok(killed, 'a worker was killed mid-run');
    // A fresh worker takes the victim's place for the other tests.
    workers[0] = await startWorkerProcess(redis.url, dataRoot, { TDAKIT_TEST_MODEL_DELAY_MS: String(DELAY_MS) });
  });

  test('a failing unit is retried with backoff, then reported with its error', async () => {
    const started = performance.now();
    await assert.rejects(
      daunce({
        model: models.broken!,
        train: { n: EXTERNAL_N },
        queries: { m: EXTERNAL_M },
        K: 5,
        seed: 1,
        queue: { connection: redis.url, externalModel: 'broken', attempts: 3, backoffMs: 200 },
      }),
      /unit 3 failed on the workers after its attempts: model 3 refuses to train/,
    );
    assert.ok(performance.now() - started >= 200 + 400, 'two backoff delays passed');
  });

  test('abort cancels the queued jobs', async () => {
    const runId = 'abort-test';
    const controller = new AbortController();
    await assert.rejects(
      daunce({
        ...externalDaunce(30, 7),
        signal: controller.signal,
        queue: { connection: redis.url, runId, externalModel: 'deterministic' },
        onProgress: () => controller.abort(),
      }),
      { name: 'AbortError' },
    );
    const q = queueOf(runId);
    try {
      const counts = await q.getJobCounts('waiting', 'delayed', 'completed', 'active');
      assert.equal(counts.waiting! + counts.delayed!, 0, 'no job is left queued');
      assert.ok(counts.completed! + counts.active! < 30, `only the jobs already taken ran (${JSON.stringify(counts)})`);
      await q.obliterate({ force: true });
    } finally {
      await q.close();
    }
  });

  test('a restarted coordinator resumes from its records and reuses finished jobs', async () => {
    const { X, y } = logisticData(100, 4, 41);
    const options = {
      data: { name: 'synthetic', X, y },
      lambda: 0.5,
      sizes: [0.02, 0.04, 0.06, 0.08],
      strategies: ['random', 'highest-loss'] as never,
      seed: 4,
      testHighestLoss: 4,
      testRandom: 4,
    };
    const local = await benchmarkRemoval(options);
    const out = mkdtempSync(join(tmpdir(), 'tdakit-resume-'));
    const controller = new AbortController();
    let recorded = 0;
    await assert.rejects(
      benchmarkRemoval({
        ...options,
        out,
        signal: controller.signal,
        queue: { connection: redis.url },
        onProgress: (done) => {
          recorded = done;
          if (done === 3) controller.abort();
        },
      }),
      { name: 'AbortError' },
    );
    assert.equal(recorded, 3);
    const resumed = await benchmarkRemoval({ ...options, out, queue: { connection: redis.url } });
    assert.equal(resumed.retrainsRun, 8 - 3, 'only the sets not on disk are merged now');
    assert.deepEqual(untimed(resumed.records), untimed(local.records));
  });

  test('duplicate delivery: one job per unit id, the same result for both requests', async () => {
    const run = await QueueRun.open('test', { connection: redis.url, runId: 'duplicate-test' }, 'duplicate');
    try {
      const job = {
        kind: 'daunce-model' as const,
        unit: 4,
        model: { external: 'deterministic' },
        n: EXTERNAL_N,
        m: EXTERNAL_M,
        ratio: 0.3,
        seed: 3,
        variant: 'hessian' as const,
        access: 'white-box' as const,
      };
      const [a, b] = await Promise.all([
        run.submit(job, EXTERNAL_N + EXTERNAL_M),
        run.submit(job, EXTERNAL_N + EXTERNAL_M),
      ]);
      sameBits(a.values, b.values, 'duplicate results');
      const q = queueOf('duplicate-test');
      assert.equal((await q.getJobCounts('completed')).completed, 1, 'one job ran');
      await q.close();
      // The unit's losses are the model's for draw 4, computed here.
      const ext = models.deterministic!;
      const h = await ext.train(drawPerturbation(EXTERNAL_N, 0.3, 3, 4), {
        variant: 'hessian',
        access: 'white-box',
        ratio: 0.3,
      });
      sameBits(
        a.values,
        Float64Array.from([...(await ext.losses(h, 'train')), ...(await ext.losses(h, 'queries'))]),
        'unit 4',
      );
    } finally {
      await run.close(true);
    }
  });

  test('workers refuse data outside their root, symlink escapes, wrong hashes and malformed jobs', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'tdakit-outside-'));
    const { X, y } = logisticData(20, 3, 51);
    const bytes = encodeBundle({ X: { data: X.data, rows: 20, cols: 3 }, y: { data: y, rows: 20, cols: 1 } });
    writeFileSync(join(outside, 'secret.bundle'), bytes);
    mkdirSync(join(dataRoot, 'links'), { recursive: true });
    symlinkSync(join(outside, 'secret.bundle'), join(dataRoot, 'links', 'escape.bundle'));
    writeFileSync(join(dataRoot, 'inside.bundle'), bytes);
    const runId = 'refusal-test';
    const redisClient = await probeRedis('test', resolveConnection('test', redis.url));
    const q = queueOf(runId);
    await redisClient.sadd(runsKey('tdakit'), runId);
    const model = await LogisticRegression.fit(X, y, { lambda: 1 });
    const spec = { kind: 'logistic', options: { lambda: 1 }, theta: hashArray(model.theta) };
    const base = { kind: 'rif-retrain', runId, model: spec, removed: [1, 2] };
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        'traversal',
        {
          ...base,
          data: {
            uri: `file:../${join(outside, 'secret.bundle').split('/').slice(-2).join('/')}`,
            sha256: sha256(bytes),
          },
        },
        /outside the worker's data root/,
      ],
      [
        'absolute path',
        { ...base, data: { uri: `file:${join(outside, 'secret.bundle')}`, sha256: sha256(bytes) } },
        /relative path inside/,
      ],
      [
        'symlink escape',
        { ...base, data: { uri: 'file:links/escape.bundle', sha256: sha256(bytes) } },
        /outside the worker's data root/,
      ],
      [
        'wrong hash',
        { ...base, data: { uri: 'file:inside.bundle', sha256: 'a'.repeat(64) } },
        /the job expects a{64}; refused/,
      ],
      [
        'malformed',
        { ...base, data: { uri: 'file:inside.bundle', sha256: sha256(bytes) }, removed: 'rm -rf /' },
        /job.removed must be an array/,
      ],
      [
        'code in a job',
        { ...base, data: { uri: 'file:inside.bundle', sha256: sha256(bytes) }, script: 'process.exit()' },
        /unexpected field 'script'/,
      ],
      ['unknown kind', { ...base, kind: 'eval' }, /job.kind must be one of/],
    ];
    try {
      const jobs = await Promise.all(
        cases.map(([, data], unit) => q.add('x', { ...data, unit }, { jobId: jobId(runId, unit), attempts: 3 })),
      );
      for (const [i, job] of jobs.entries()) {
        await waitUntil(() => job.isFailed());
        const fresh = (await q.getJob(job.id!))!;
        assert.equal(await fresh.getState(), 'failed', `${cases[i]![0]} was refused`);
        assert.match(fresh.failedReason, cases[i]![2], cases[i]![0]);
        assert.equal(fresh.attemptsMade, 1, `${cases[i]![0]} is not retried`);
      }
      // The same job with the file inside the root and its true hash is accepted.
      const good = await q.add(
        'x',
        { ...base, unit: 99, data: { uri: 'file:inside.bundle', sha256: sha256(bytes) } },
        { jobId: jobId(runId, 99) },
      );
      await waitUntil(() => good.isCompleted());
      assert.equal(await good.getState(), 'completed', (await q.getJob(good.id!))?.failedReason);
      const refit = await model.refit({ exclude: [1, 2] });
      assert.equal((await q.getJob(good.id!))!.returnvalue.values.length > 0, true);
      const theta = new Float64Array(
        new Uint8Array(Buffer.from((await q.getJob(good.id!))!.returnvalue.values, 'base64')).buffer,
      );
      assert.ok(
        theta.every((t, j) => Math.abs(t - refit.theta[j]!) <= 1e-8 * (1 + Math.abs(refit.theta[j]!))),
        'a retrain without rows 1, 2 (checked against an independent refit)',
      );
    } finally {
      await redisClient.srem(runsKey('tdakit'), runId);
      await q.obliterate({ force: true });
      await q.close();
      redisClient.disconnect();
    }
  });

  test('the coordinator refuses forged results (wrong length, NaN, another run)', async () => {
    // A rogue worker on its own key prefix, which the real workers do not watch.
    type JobData = { runId: string; unit: number; kind: string };
    const base64 = (v: Float64Array) => Buffer.from(v.buffer).toString('base64');
    /** A result naming the job's own run, unit and kind, with the given fields on top. */
    const answer = (j: { data: JobData }, fields: Record<string, unknown>) => ({
      runId: j.data.runId,
      unit: j.data.unit,
      kind: j.data.kind,
      ...fields,
    });
    const forgeries: Record<string, (job: { data: JobData }) => unknown> = {
      short: (j) => answer(j, { values: base64(new Float64Array(3)) }),
      nan: (j) => answer(j, { values: base64(new Float64Array(EXTERNAL_N + EXTERNAL_M).fill(NaN)) }),
      file: (j) => answer(j, { file: '../../etc/passwd', sha256: 'a'.repeat(64) }),
      other: (j) => answer(j, { runId: 'someone-else', values: base64(new Float64Array(EXTERNAL_N + EXTERNAL_M)) }),
    };
    for (const [name, forge] of Object.entries(forgeries)) {
      const runId = `forged-${name}`;
      const rogue = new Worker(queueName(runId), async (job) => forge(job as never), {
        connection: bull(),
        prefix: 'rogue',
      });
      try {
        await assert.rejects(
          daunce({
            ...externalDaunce(2),
            queue: { connection: redis.url, runId, prefix: 'rogue', externalModel: 'deterministic' },
          }),
          (err: Error) => err instanceof ResultRefusedError && /result refused/.test(err.message),
          name,
        );
      } finally {
        await rogue.close();
      }
    }
  });

  test('a password-protected Redis: refused without credentials (clear error), works with them', async () => {
    const password = 'correct horse battery staple';
    const locked = await startRedis(password);
    await assert.rejects(
      startWorker({ connection: locked.url, connectTimeoutMs: 3000 }),
      (err: Error) => err instanceof RedisUnavailableError && /requires a password/.test(err.message),
    );
    const wrong = `redis://:not-it@127.0.0.1:${locked.port}`;
    await assert.rejects(
      startWorker({ connection: wrong, connectTimeoutMs: 3000 }),
      (err: Error) =>
        err instanceof RedisUnavailableError && /wrong/.test(err.message) && !err.message.includes('not-it'),
    );
    const url = `redis://:${encodeURIComponent(password)}@127.0.0.1:${locked.port}`;
    const worker = await startWorker({ connection: url, models, dataRoot, pollMs: 100 });
    try {
      const external = externalDaunce(4, 8);
      const remote = await daunce({
        ...external,
        queue: { connection: { url: `redis://127.0.0.1:${locked.port}`, password }, externalModel: 'deterministic' },
      });
      sameBits(await remote.scores(), await (await daunce(external)).scores(), 'scores through a protected Redis');
      assert.equal(worker.stats().completed, 4);
    } finally {
      await worker.close();
    }
  });

  test("TLS (rediss://): works with the server's CA, refused clearly without it", async () => {
    const certs = makeCertificates(mkdtempSync(join(tmpdir(), 'tdakit-tls-')));
    const secure = await startRedis(undefined, certs);
    await assert.rejects(
      startWorker({ connection: secure.url, connectTimeoutMs: 3000 }),
      (err: Error) => err instanceof RedisUnavailableError && /rediss:\/\/127.0.0.1/.test(err.message),
    );
    const connection = { url: secure.url, tls: { ca: readFileSync(certs.ca) } };
    const worker = await startWorker({ connection, models, pollMs: 100 });
    try {
      const external = externalDaunce(3, 9);
      const remote = await daunce({ ...external, queue: { connection, externalModel: 'deterministic' } });
      sameBits(await remote.scores(), await (await daunce(external)).scores(), 'scores over TLS');
      assert.equal(worker.stats().completed, 3);
    } finally {
      await worker.close();
    }
  });

  test('Redis killed mid-run: the coordinator fails naming Redis, and its process (coordinator + worker) ends on its own', async () => {
    const doomed = await startRedis();
    // A `tdakit worker` process too: stopped after Redis is gone, it must exit as well.
    const cliWorker = await startWorkerProcess(doomed.url, dataRoot, { TDAKIT_TEST_MODEL_DELAY_MS: '200' });
    const script = join(mkdtempSync(join(tmpdir(), 'tdakit-redis-vanishes-')), 'run.mts');
    writeFileSync(
      script,
      `
      import { daunce } from ${JSON.stringify(join(repo, 'src/index.ts'))};
      import { startWorker } from ${JSON.stringify(join(repo, 'src/distributed/index.ts'))};
      import { EXTERNAL_M, EXTERNAL_N, models } from ${JSON.stringify(join(repo, 'scripts/local-queue-models.ts'))};
      const url = ${JSON.stringify(doomed.url)};
      const slow = { ...models.deterministic, train: async (p) => { await new Promise((r) => setTimeout(r, 200)); return p; } };
      const worker = await startWorker({ connection: url, models: { deterministic: slow }, pollMs: 100 });
      let killedAt = 0;
      const report = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
      try {
        await daunce({
          model: models.deterministic, train: { n: EXTERNAL_N }, queries: { m: EXTERNAL_M }, K: 40, seed: 1,
          queue: { connection: url, externalModel: 'deterministic', unavailableMs: 2000 },
          onProgress: (p) => { if (p.done === 2 && !killedAt) { killedAt = performance.now(); process.kill(${doomed.process.pid}, 'SIGKILL'); } },
        });
        report({ resolved: true });
      } catch (err) {
        report({ name: err.name, message: err.message, afterKillMs: performance.now() - killedAt });
      }
      await worker.close();
      report({ closedAfterKillMs: performance.now() - killedAt });
      // No process.exit: the process must end by itself once nothing of ours waits on Redis.
      process.on('exit', () => report({ exitAfterKillMs: performance.now() - killedAt }));
    `,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const limit = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(limit);
    assert.equal(signal, null, `the process did not end on its own:\n${out}`);
    assert.equal(code, 0, out);
    const lines = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const failure = lines.find((l) => 'name' in l || 'resolved' in l)!;
    assert.equal(failure.name, 'RedisUnavailableError', out);
    assert.match(
      String(failure.message),
      new RegExp(`Redis at redis://127\\.0\\.0\\.1:${doomed.port}/0 has not answered for 2 s`),
    );
    assert.ok(Number(failure.afterKillMs) < 10_000, `the run failed ${failure.afterKillMs} ms after Redis was killed`);
    const exit = lines.find((l) => 'exitAfterKillMs' in l);
    assert.ok(
      exit && Number(exit.exitAfterKillMs) < 15_000,
      `the process ended ${exit?.exitAfterKillMs} ms after Redis was killed:\n${out}`,
    );
    // The worker process, told to stop, stops although its Redis is gone.
    const started = performance.now();
    cliWorker.process.kill('SIGTERM');
    if (cliWorker.process.exitCode === null) await once(cliWorker.process, 'exit');
    assert.ok(
      performance.now() - started < 10_000,
      `tdakit worker took ${performance.now() - started} ms to stop without Redis`,
    );
  });

  test('Redis unreachable: a clear error in bounded time', async () => {
    const started = performance.now();
    await assert.rejects(
      groundTruth({
        model: await LogisticRegression.fit(logisticData(20, 2, 61).X, logisticData(20, 2, 61).y),
        queries: logisticData(3, 2, 62),
        subsets: 2,
        queue: { connection: 'redis://127.0.0.1:1', connectTimeoutMs: 2000 },
      }),
      (err: Error) =>
        err instanceof RedisUnavailableError && /cannot use Redis at redis:\/\/127.0.0.1:1/.test(err.message),
    );
    assert.ok(performance.now() - started < 5000);
  });
});
