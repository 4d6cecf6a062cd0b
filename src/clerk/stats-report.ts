import type { ClerkClientStats } from './client.js';

/**
 * The Clerk request counters as every report writes them: the export manifest, the export
 * summary file and the import's summary.json. snake_case, like the reports' other keys.
 */
export interface ClerkStatsReport {
  requests: number;
  retries: number;
  /** Responses 429 (rate limited), each retried after Retry-After. */
  rate_limited_429: number;
  server_errors: number;
  network_errors: number;
  timeouts: number;
}

export function clerkStatsReport(s: Readonly<ClerkClientStats>): ClerkStatsReport {
  return { requests: s.requests, retries: s.retries, rate_limited_429: s.rateLimited, server_errors: s.serverErrors, network_errors: s.networkErrors, timeouts: s.timeouts };
}
