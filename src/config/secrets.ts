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
 * 40 base64 characters alone are also the shape of a long path or a CamelCase name, so a candidate
 * must also mix upper case, lower case and digits, not look like a path (`/` first, or `//`), and
 * switch character class often: a random key changes between lower case, upper case and digits at
 * ~16 of its 39 neighbour pairs (fewer than 8 in ~0.1% of random keys), a path or a CamelCase name
 * at word starts only. Capital-then-lower (a word start) and pairs around `/` or `+` do not count.
 */
function looksLikeAwsSecret(token: string): boolean {
  if (!/[A-Z]/.test(token) || !/[a-z]/.test(token) || !/[0-9]/.test(token) || token.startsWith('/') || token.includes('//')) return false;
  const kind = (c: string): string => (/[a-z]/.test(c) ? 'lower' : /[A-Z]/.test(c) ? 'upper' : /[0-9]/.test(c) ? 'digit' : 'other');
  let switches = 0;
  for (let i = 1; i < token.length; i++) {
    const a = kind(token[i - 1]!);
    const b = kind(token[i]!);
    if (a !== b && a !== 'other' && b !== 'other' && !(a === 'upper' && b === 'lower')) switches++;
  }
  return switches >= 8;
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
