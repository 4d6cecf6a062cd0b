/**
 * Secrets written literally in a config file. They belong in the environment: a config file is
 * copied, committed and pasted into tickets.
 */

/** Clerk secret keys. Publishable keys (`pk_…`) are public and allowed. */
const CLERK_SECRET_KEY = /(?<![A-Za-z0-9])sk_(?:live|test)_[A-Za-z0-9_-]{6,}/;

/** AWS access key ids (long-term `AKIA…`, temporary `ASIA…`). */
const AWS_ACCESS_KEY_ID = /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/;

/** A run of exactly 40 base64 characters, the shape of an AWS secret access key. */
const AWS_SECRET_CANDIDATE = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

/**
 * 40 base64 characters alone are also the shape of a long path or a hex digest, so a candidate
 * must also mix upper case, lower case and digits, use many distinct characters (random keys use
 * ~30 of 64; words and paths far fewer), and not look like a path (`/` first, or `//`).
 */
function looksLikeAwsSecret(token: string): boolean {
  return (
    /[A-Z]/.test(token) &&
    /[a-z]/.test(token) &&
    /[0-9]/.test(token) &&
    !token.startsWith('/') &&
    !token.includes('//') &&
    new Set(token).size >= 20
  );
}

/** What kind of secret `value` contains, if any (never the secret itself). */
export type SecretKind = 'a Clerk secret key' | 'an AWS access key id' | 'an AWS secret access key';

/** The kind of credential found in `value`, or undefined. */
export function findSecret(value: string): SecretKind | undefined {
  if (CLERK_SECRET_KEY.test(value)) return 'a Clerk secret key';
  if (AWS_ACCESS_KEY_ID.test(value)) return 'an AWS access key id';
  for (const m of value.matchAll(AWS_SECRET_CANDIDATE)) if (looksLikeAwsSecret(m[0])) return 'an AWS secret access key';
  return undefined;
}

/** Where the fix for each kind goes, as the end of a message. */
export function secretAdvice(kind: SecretKind): string {
  return kind === 'a Clerk secret key'
    ? 'put the key in an environment variable and write secret_key: ${CLERK_SECRET_KEY}'
    : 'remove it: AWS credentials come from the default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile or a role)';
}
