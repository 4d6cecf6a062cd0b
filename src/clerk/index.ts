/** The Clerk Backend API client shared by export and import: rate limiter, retry policy, typed errors. */
export { ClerkClient, isAmbiguous } from './client.js';
export type {
  ClerkClientOptions,
  ClerkClientStats,
  ClerkResponse,
  HttpMethod,
  Query,
  QueryValue,
  RequestOptions,
} from './client.js';
export { TokenBucket } from './rate-limiter.js';
export type { RateLimit, TokenBucketOptions } from './rate-limiter.js';
export { DEFAULT_RETRY_POLICY, computeRetryDelay, parseRetryAfter, resolveRetryPolicy, sleep } from '../retry.js';
export type { RetryPolicy } from '../retry.js';
export { CLERK_API_VERSION } from '../model/clerk-types.js';
export type { ClerkErrorBody, ClerkUser, UncheckedUser } from '../model/clerk-types.js';
