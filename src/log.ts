import { redactSecrets } from './errors.js';

/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured logger used by every stage. Fields are plain JSON values; secrets are redacted on output. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  /** Minimum level written. Default `info`. */
  level?: LogLevel;
  /** `json`: one JSON object per line; `pretty`: `LEVEL message key=value`. Default `pretty`. */
  format?: 'json' | 'pretty';
  /** Where lines go. Default: process.stderr. */
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = LEVELS[options.level ?? 'info'];
  const format = options.format ?? 'pretty';
  // On a terminal a progress bar may hold the current line (drawn with \r, no newline): a log line
  // clears it first instead of being glued to its end; the bar is drawn again on its next update.
  const clear = format === 'pretty' && process.stderr.isTTY ? '\r\x1b[2K' : '';
  const write = options.write ?? ((line: string) => process.stderr.write(clear + line + '\n'));
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[level] < min) return;
    let line: string;
    if (format === 'json') {
      line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
    } else {
      const extra = fields
        ? Object.entries(fields)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ')
        : '';
      line = `${level.toUpperCase().padEnd(5)} ${msg}${extra ? ' ' + extra : ''}`;
    }
    write(redactSecrets(line));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** A logger that drops everything (library use, tests). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
