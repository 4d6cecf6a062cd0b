import type { Logger } from '../log.js';

export interface ProgressState {
  read: number;
  written: number;
  rejected: number;
  expected?: number;
}

/**
 * A progress bar with count, total, rate and ETA when stderr is a TTY; otherwise a plain log line
 * every `intervalMs` (default 5 s), so cron logs stay readable. The rate is that of the last
 * {@link RATE_WINDOW_MS} or so: an import resumed with the journal skips thousands of done records in
 * its first second, and an average since the start would promise an ETA far too short.
 */
export class Progress {
  private readonly started = Date.now();
  private lastPrint = 0;
  private drawn = false;
  private readonly samples: Array<{ at: number; read: number }> = [];
  constructor(
    private readonly log: Logger,
    private readonly tty: boolean,
    private readonly intervalMs = 5000,
    /** What the bar calls records that did not make it: an export's rejects, an import's failures. */
    private readonly rejectedWord = 'rejected',
  ) {}

  update(p: ProgressState): void {
    const now = Date.now();
    if (now - this.lastPrint < (this.tty ? 100 : this.intervalMs)) return;
    this.lastPrint = now;
    const secs = (now - this.started) / 1000;
    this.samples.push({ at: now, read: p.read });
    const window = Math.max(RATE_WINDOW_MS, 3 * (this.tty ? 100 : this.intervalMs));
    while (this.samples.length > 2 && now - this.samples[1]!.at >= window) this.samples.shift();
    const from = this.samples[0]!;
    const span = (now - from.at) / 1000;
    const rate = span >= 1 ? (p.read - from.read) / span : secs > 0 ? p.read / secs : 0;
    const total = p.expected;
    const eta = total && rate > 0 ? Math.max(0, (total - p.read) / rate) : undefined;
    if (this.tty) {
      const width = 28;
      const frac = total ? Math.min(1, p.read / total) : 0;
      const bar = total ? '█'.repeat(Math.round(frac * width)).padEnd(width, '░') : '';
      const line = `${bar} ${fmt(p.read)}${total ? `/${fmt(total)}` : ''} users${p.rejected ? ` (${fmt(p.rejected)} ${this.rejectedWord})` : ''}  ${fmt(Math.round(rate))}/s${eta !== undefined ? `  ETA ${duration(eta)}` : ''}`;
      process.stderr.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      this.log.info('progress', { read: p.read, expected: total ?? null, written: p.written, rejected: p.rejected, users_per_s: Math.round(rate), eta_s: eta === undefined ? null : Math.round(eta) });
    }
  }

  /** Clear the bar before the summary is printed. */
  done(): void {
    if (this.tty && this.drawn) process.stderr.write('\r\x1b[2K');
  }
}

const RATE_WINDOW_MS = 10_000;

export function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

export function duration(secs: number): string {
  if (secs < 60) return `${secs.toFixed(secs < 10 ? 1 : 0)}s`;
  const m = Math.floor(secs / 60);
  return `${m}m${String(Math.round(secs % 60)).padStart(2, '0')}s`;
}
