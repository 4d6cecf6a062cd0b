import { executeExport, type ExportOutcome, type ExportSettings } from '../../src/pipeline/export.js';
import type { Logger } from '../../src/log.js';
import type { ExportResult } from '../../src/pipeline/export-run.js';

/** executeExport for tests that expect a published run. */
export async function exportRun(settings: ExportSettings, log: Logger, signal: AbortSignal): Promise<ExportOutcome & { result: ExportResult }> {
  const outcome = await executeExport(settings, log, signal);
  if (!outcome.result || outcome.status !== 'published') throw new Error(`expected a published run, got ${outcome.status}`);
  return { ...outcome, result: outcome.result };
}
