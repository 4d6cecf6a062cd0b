import { executeExport, type ExportOutcome, type ExportSettings } from '../../src/pipeline/export.js';
import type { Logger } from '../../src/log.js';
import type { ExportPublished, ExportResult } from '../../src/pipeline/export-run.js';

/** The outcome of an export that published. */
export type PublishedOutcome = Extract<ExportOutcome, { status: 'published' }>;

/** The outcome, narrowed to a published run; fails the test (naming what it was) otherwise. */
export function published(outcome: ExportOutcome): PublishedOutcome {
  if (outcome.status !== 'published') throw new Error(`expected a published run, got ${outcome.status}`);
  return outcome;
}

/** runExport's result, narrowed to a published run; fails the test otherwise. */
export function publishedResult(result: ExportResult): ExportPublished {
  if (result.status !== 'published') throw new Error(`expected a published run, got ${result.status}`);
  return result;
}

/** executeExport for tests that expect a published run. */
export async function exportRun(settings: ExportSettings, log: Logger, signal: AbortSignal): Promise<PublishedOutcome> {
  return published(await executeExport(settings, log, signal));
}
