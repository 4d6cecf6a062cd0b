import type { ImportSettings } from '../../src/pipeline/import.js';

/**
 * Import settings for a test against an emulator: fast rate limit, no progress, `skip` on
 * conflict; `concurrency` is the file's own choice (1 where the order of creates matters).
 */
export function importSettingsFor(concurrency: number) {
  return (em: { url: string; secretKey: string }, from: string, report: string, extra: Partial<ImportSettings> = {}): ImportSettings => ({
    from,
    inputFormat: 'auto',
    reportDir: report,
    onConflict: 'skip',
    dryRun: false,
    apiUrl: em.url,
    secretKey: em.secretKey,
    concurrency,
    rateLimit: { requests: 100_000, windowMs: 1000 },
    externalId: 'source',
    progress: false,
    ...extra,
  });
}
