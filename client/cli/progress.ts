/**
 * A one-line progress bar on stderr, redrawn in place; silent when stderr is not a terminal
 * (or with --json), so pipes and scripts see only the summary.
 */
export class Progress {
  private count = 0;
  private lastDraw = 0;
  private readonly stream: NodeJS.WriteStream | undefined;

  constructor(
    private readonly total: number | undefined,
    stream: NodeJS.WriteStream | undefined,
  ) {
    this.stream = stream?.isTTY ? stream : undefined;
  }

  add(count: number): void {
    this.count += count;
    // At most ten redraws a second.
    if (Date.now() - this.lastDraw >= 100) this.draw();
  }

  done(): void {
    if (!this.stream || this.lastDraw === 0) return;
    this.draw();
    this.stream.write('\n');
    this.lastDraw = 0;
  }

  private draw(): void {
    if (!this.stream) return;
    this.lastDraw = Date.now();
    let text = `${this.count} lines`;
    if (this.total) {
      const width = 30;
      const filled = Math.round((Math.min(this.count, this.total) / this.total) * width);
      const percent = Math.floor((this.count / this.total) * 100);
      text = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}% ${this.count}/${this.total} lines`;
    }
    this.stream.write(`\r\x1b[2K${text}`);
  }
}
