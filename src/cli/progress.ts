/** A terminal progress bar with ETA (cli-progress) that stays silent when stderr is not a TTY. */
import cliProgress from 'cli-progress';

export interface Progress {
  tick(label?: string): void;
  stop(): void;
}

export function progressBar(total: number, title: string): Progress {
  if (!process.stderr.isTTY) return { tick: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${title} [{bar}] {value}/{total} | ETA {eta_formatted} | {label}`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { label: '' });
  return { tick: (label = '') => bar.increment(1, { label }), stop: () => bar.stop() };
}
