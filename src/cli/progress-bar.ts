import cliProgress from 'cli-progress';

/**
 * A progress bar on stderr (stdout stays clean for machine-read output), drawn by cli-progress:
 * redrawn in place on a terminal, and a line every few seconds in a log (not a flood). The
 * commands see only update/finish, so the library stays behind this one file.
 */
export class ProgressBar {
  private readonly bar: cliProgress.SingleBar;
  private readonly total: number;

  constructor(label: string, total: number, out: NodeJS.WriteStream = process.stderr) {
    this.total = total;
    this.bar = new cliProgress.SingleBar({
      stream: out,
      format: `${label} [{bar}] {percentage}% {value}/{total} {rate}/s`,
      barsize: 30,
      barCompleteChar: '#',
      barIncompleteChar: '-',
      hideCursor: false,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      fps: 10,
    });
    this.bar.start(Math.max(total, 0), 0, { rate: 0 });
  }

  private readonly started = Date.now();

  update(done: number): void {
    // cli-progress shows no rate of its own (only an ETA); ours is rows per second since the start.
    const rate = Math.round(done / Math.max(0.001, (Date.now() - this.started) / 1000));
    if (done > this.total) this.bar.setTotal(done);
    this.bar.update(done, { rate });
  }

  /** Final line; `done` when the work turned out smaller or larger than announced. */
  finish(done: number = this.total): void {
    this.bar.setTotal(done);
    this.update(done);
    this.bar.stop();
  }
}
