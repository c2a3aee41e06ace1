/**
 * A PerturbableModel whose copies are trained in a child process (trainer.py): the pattern
 * for models that live outside Node (a Python stack, a fine-tuning service). Requests go
 * one JSON line at a time; replies come back in order.
 *
 *   const model = await ChildProcessModel.start({ X, y, Xq, yq, theta0, lambda });
 *   const result = await daunce({ model, train: { n }, queries: { m }, K: 100, concurrency: 1 });
 *   await model.close();
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeNpy, type Matrix, type PerturbableModel, type Perturbation } from '../../src/index.ts';

export class ChildProcessModel implements PerturbableModel<number> {
  private pending: { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly dir: string,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as Record<string, unknown>;
      const p = this.pending.shift();
      if (!p) return;
      if (reply.ok) p.resolve(reply);
      else p.reject(new Error(`trainer: ${String(reply.error)}`));
    });
    child.on('exit', (code) => {
      for (const p of this.pending.splice(0)) p.reject(new Error(`trainer exited with code ${code}`));
    });
  }

  static async start(d: {
    X: Matrix;
    y: Float64Array;
    Xq: Matrix;
    yq: Float64Array;
    theta0: Float64Array;
    lambda: number;
  }): Promise<ChildProcessModel> {
    const dir = mkdtempSync(join(tmpdir(), 'tdakit-child-'));
    await writeNpy(join(dir, 'X.npy'), d.X.data, [d.X.rows, d.X.cols]);
    await writeNpy(join(dir, 'y.npy'), d.y, [d.y.length]);
    await writeNpy(join(dir, 'Xq.npy'), d.Xq.data, [d.Xq.rows, d.Xq.cols]);
    await writeNpy(join(dir, 'yq.npy'), d.yq, [d.yq.length]);
    await writeNpy(join(dir, 'theta0.npy'), d.theta0, [d.theta0.length]);
    const script = join(dirname(fileURLToPath(import.meta.url)), 'trainer.py');
    const model = new ChildProcessModel(spawn('python3', [script], { stdio: ['pipe', 'pipe', 'pipe'] }), dir);
    await model.request({ cmd: 'init', dir, lambda: d.lambda });
    return model;
  }

  /** One request at a time: the trainer answers in order. */
  private request(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    const run = () =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        this.pending.push({ resolve, reject });
        this.child.stdin.write(JSON.stringify(msg) + '\n');
      });
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  async train(p: Perturbation, objective: { variant: string; access: string }): Promise<number> {
    await this.request({ cmd: 'train', id: p.k, subset: Array.from(p.subset), xi: Array.from(p.xi), ...objective });
    return p.k;
  }

  async losses(id: number, which: 'train' | 'queries'): Promise<Float64Array> {
    return Float64Array.from((await this.request({ cmd: 'losses', id, which })).losses as number[]);
  }

  async release(id: number): Promise<void> {
    await this.request({ cmd: 'release', id });
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await new Promise((r) => this.child.once('exit', r));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
