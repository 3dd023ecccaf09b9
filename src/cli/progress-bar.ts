/** A plain progress bar on stderr (stdout stays clean for machine-read output). */
export class ProgressBar {
  private last = 0;
  private shown = -1;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number): void {
    const now = Date.now();
    // Redrawn in place on a terminal; a log (non-TTY) gets a line every few seconds, not a flood.
    if (now - this.last < (this.out.isTTY ? 100 : 2000) && done < this.total) return;
    this.last = now;
    this.shown = done;
    const ratio = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 30;
    const filled = Math.round(ratio * width);
    const rate = done / Math.max(0.001, (now - this.started) / 1000);
    const line = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${done}/${this.total} ${Math.round(rate)}/s`;
    this.out.write(this.out.isTTY ? `\r${line}` : `${line}\n`);
  }

  /** Final line; `done` when the work turned out smaller or larger than announced. */
  finish(done: number = this.total): void {
    this.last = 0;
    if (this.shown !== done) this.update(done);
    if (this.out.isTTY) this.out.write('\n');
  }
}
