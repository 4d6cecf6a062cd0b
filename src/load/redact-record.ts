/**
 * Source records as the import's reports may show them: every credential replaced by
 * {@link REDACTED}, the field itself kept, so a failure still says which field was there.
 *
 * Secret in a Clerk user record: password digests and plain passwords, TOTP secrets, backup codes
 * (the fields of Clerk's create-user body and of the dashboard CSV, `password_digest`,
 * `totp_secret`, `backup_codes`), `private_metadata` (Clerk shows it to the backend only: it holds
 * what the application keeps from its users), and anything else whose name says secret, token,
 * password or digest, at any depth. Booleans, numbers and nulls stay (`password_enabled`,
 * `totp_enabled`, `backup_code_enabled` say whether, not what), and so does `password_hasher` (the
 * algorithm's name, needed to read a hasher failure).
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY = /passw|secret|token|digest|backup_code|private_metadata|api_key|apikey|credential/i;
const NOT_SECRET_KEY = /^password_hasher$/;

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !NOT_SECRET_KEY.test(key);
}

/** A copy of `value` with the values of secret fields replaced, at any depth. */
export function redactRecord(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactRecord);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) && v !== null && typeof v !== 'boolean' && typeof v !== 'number' ? REDACTED : redactRecord(v);
  }
  return out;
}
