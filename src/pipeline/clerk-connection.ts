import { ClerkClient } from '../clerk/client.js';
import { TokenBucket } from '../clerk/rate-limiter.js';
import { EtlError, registerSecret } from '../errors.js';
import type { Logger } from '../log.js';

/** The Clerk Backend API origin when neither --api-url, the config file nor CLERK_API_URL names one. */
export { DEFAULT_API_URL } from '../model/defaults.js';

/** What export and import both need to build their Clerk client. */
export interface ClientSettings {
  apiUrl: string;
  secretKey?: string;
  rateLimit?: { requests: number; windowMs: number };
  requestTimeoutMs?: number;
  maxAttempts?: number;
  /** `User-Agent` of every request; the client's default when absent. */
  userAgent?: string;
}

/**
 * The Clerk client of a command: the key registered as a secret first, the limiter sized from the
 * key unless --rate-limit says otherwise. `missingKey` is the command's own advice when no key is set.
 */
export function clerkClientFrom(settings: ClientSettings, log: Logger, missingKey: string): ClerkClient {
  if (!settings.secretKey) throw new EtlError('USAGE', `CLERK_SECRET_KEY is not set. ${missingKey}`);
  registerSecret(settings.secretKey);
  return new ClerkClient({
    apiUrl: settings.apiUrl,
    secretKey: settings.secretKey,
    limiter: settings.rateLimit ? new TokenBucket(settings.rateLimit) : TokenBucket.forKey(settings.secretKey),
    log,
    requestTimeoutMs: settings.requestTimeoutMs,
    retry: settings.maxAttempts ? { maxAttempts: settings.maxAttempts } : undefined,
    userAgent: settings.userAgent,
  });
}
