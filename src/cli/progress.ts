import type { Logger } from '../log.js';

export interface ProgressState {
  read: number;
  written: number;
  rejected: number;
  expected?: number;
}

/**
 * A progress bar with count, total, rate and ETA when stderr is a TTY; otherwise a plain log line
 * every `intervalMs` (default 5 s), so cron logs stay readable.
 */
export class Progress {
  private readonly started = Date.now();
  private lastPrint = 0;
  private drawn = false;
  constructor(
    private readonly log: Logger,
    private readonly tty: boolean,
    private readonly intervalMs = 5000,
  ) {}

  update(p: ProgressState): void {
    const now = Date.now();
    if (now - this.lastPrint < (this.tty ? 100 : this.intervalMs)) return;
    this.lastPrint = now;
    const secs = (now - this.started) / 1000;
    const rate = secs > 0 ? p.read / secs : 0;
    const total = p.expected;
    const eta = total && rate > 0 ? Math.max(0, (total - p.read) / rate) : undefined;
    if (this.tty) {
      const width = 28;
      const frac = total ? Math.min(1, p.read / total) : 0;
      const bar = total ? '█'.repeat(Math.round(frac * width)).padEnd(width, '░') : '';
      const line = `${bar} ${fmt(p.read)}${total ? `/${fmt(total)}` : ''} users${p.rejected ? ` (${fmt(p.rejected)} rejected)` : ''}  ${fmt(Math.round(rate))}/s${eta !== undefined ? `  ETA ${duration(eta)}` : ''}`;
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

export function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

export function duration(secs: number): string {
  if (secs < 60) return `${secs.toFixed(secs < 10 ? 1 : 0)}s`;
  const m = Math.floor(secs / 60);
  return `${m}m${String(Math.round(secs % 60)).padStart(2, '0')}s`;
}
