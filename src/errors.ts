/**
 * The one error class of clerk-etl. Callers branch on `code`, never on the message.
 *
 * Messages say what failed, what was expected, what was received and what to do.
 * They never contain a secret: {@link redactSecrets} is applied to every message.
 */
export type EtlErrorCode =
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'CLERK_AUTH'
  | 'CLERK_RATE_LIMITED'
  | 'CLERK_HTTP'
  | 'CLERK_NETWORK'
  | 'CLERK_TIMEOUT'
  | 'CLERK_BAD_RESPONSE'
  | 'RECORD_INVALID'
  | 'INPUT_INVALID'
  | 'SINK_WRITE'
  | 'IMPORT_CONFLICT'
  | 'LOCKED'
  | 'ABORTED'
  | 'INTERNAL';

export interface EtlErrorOptions {
  /** Whether retrying the same operation may succeed. Default false. */
  retryable?: boolean;
  /** HTTP status, for CLERK_* errors that came from a response. */
  status?: number;
  /** Clerk's error code (`errors[0].code`), when the response carried one. */
  clerkCode?: string;
  /** Clerk's `errors[0].meta.param_name`: the request field at fault. */
  clerkParam?: string;
  /** Clerk's `clerk_trace_id`, when present. */
  traceId?: string;
  cause?: unknown;
}

export class EtlError extends Error {
  override readonly name = 'EtlError';
  readonly code: EtlErrorCode;
  readonly retryable: boolean;
  readonly status?: number;
  readonly clerkCode?: string;
  readonly clerkParam?: string;
  readonly traceId?: string;

  constructor(code: EtlErrorCode, message: string, options: EtlErrorOptions = {}) {
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.status = options.status;
    this.clerkCode = options.clerkCode;
    this.clerkParam = options.clerkParam;
    this.traceId = options.traceId;
  }
}

export function isEtlError(err: unknown, code?: EtlErrorCode): err is EtlError {
  return err instanceof EtlError && (code === undefined || err.code === code);
}

/** Secrets registered at start-up (the Clerk key, AWS secrets); replaced in every message and log line. */
const registeredSecrets = new Set<string>();

/** Register a secret value so that {@link redactSecrets} removes it wherever it appears. Values shorter than 8 characters are ignored. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) registeredSecrets.add(value);
}

const KEY_PATTERN = /\b(sk|pk)_(live|test)_[A-Za-z0-9_-]{6,}/g;
/** `scheme://user:password@` (or `scheme://token@`): the credentials part of a URL. Never across a quote or comma (a JSON log line: `"http://x","email":"a@b"`). */
const URL_CREDENTIALS = /\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^\s/?#@"'<>\\,]+)@/g;

/**
 * A URL as it may be shown: `postgres://etl:[REDACTED]@db/x` (a user name alone, without a
 * password, is a token in many schemes and is hidden too). The one redaction of URLs: used by
 * {@link redactSecrets}, so every message and log line gets it as well.
 */
export function redactUrl(url: string): string {
  return url.replace(URL_CREDENTIALS, (_m, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    // In an s3:// URL the user part is an AWS access key id, itself never shown (README).
    const user = colon >= 0 && !/^s3/i.test(scheme) ? userinfo.slice(0, colon) + ':' : '';
    return `${scheme}${user}[REDACTED]@`;
  });
}

/** Remove every registered secret, URL credentials and anything shaped like a Clerk key from `text`. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of registeredSecrets) {
    if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
  }
  return redactUrl(out).replace(KEY_PATTERN, (_m, kind: string, env: string) => `${kind}_${env}_[REDACTED]`);
}

/** Turn an AbortSignal's reason into an ABORTED EtlError (keeps an EtlError reason as is). */
export function abortError(signal: AbortSignal): EtlError {
  const reason: unknown = signal.reason;
  if (reason instanceof EtlError) return reason;
  const what = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'the run was aborted';
  return new EtlError('ABORTED', `Aborted: ${what}`);
}
