import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';

const CONFIG_DIR = path.resolve(__dirname, '../../config');
const FAKE_KEY = ['sk', 'test', 'fakeKeyForTheExampleConfigs0123'].join('_');
const env = { CLERK_SECRET_KEY: FAKE_KEY };

describe('the example configs in config/', () => {
  const files = readdirSync(CONFIG_DIR).filter((f) => f.endsWith('.yaml'));

  it('are the three documented ones', () => {
    expect(files.sort()).toEqual(['local-full.yaml', 'migration-import.yaml', 'nightly-s3.yaml']);
  });

  it.each(files)('%s loads and validates, with its secret only as ${CLERK_SECRET_KEY}', async (file) => {
    const config = await loadConfigFile(path.join(CONFIG_DIR, file), env);
    expect(config.clerk?.secret_key).toBe(FAKE_KEY);
    const text = readFileSync(path.join(CONFIG_DIR, file), 'utf8');
    expect(text).toMatch(/^ {2}secret_key: \$\{CLERK_SECRET_KEY(:-)?\}$/m);
  });

  it('nightly-s3.yaml: incremental Parquet to S3, state and lock on S3, summary file, JSON logs', async () => {
    const config = await loadConfigFile(path.join(CONFIG_DIR, 'nightly-s3.yaml'), { ...env, CLERK_EXPORT_BUCKET: 'acme-lake' });
    expect(config.export).toMatchObject({
      to: 's3://acme-lake/clerk',
      format: ['parquet'],
      mode: 'incremental',
      state: 's3://acme-lake/clerk/_state/state.json',
      detect_deletions: true,
      compress: 'none',
      summary_file: expect.stringMatching(/\.json$/),
      log_format: 'json',
      max_file_bytes: 128 * 1024 * 1024,
    });
    expect(config.export?.s3?.part_size).toBe(8 * 1024 * 1024);
    // Without the bucket variable, the documented placeholder bucket is used.
    expect((await loadConfigFile(path.join(CONFIG_DIR, 'nightly-s3.yaml'), env)).export?.to).toBe('s3://my-data-lake/clerk');
  });

  it('local-full.yaml: a full export to ./clerk-export in parquet, csv and raw', async () => {
    const config = await loadConfigFile(path.join(CONFIG_DIR, 'local-full.yaml'), env);
    expect(config.export).toMatchObject({ to: './clerk-export', format: ['parquet', 'csv', 'raw'], mode: 'full' });
  });

  it('migration-import.yaml: dashboard CSV, report folder, on_conflict skip, dry run by default, and no key needed for it', async () => {
    const config = await loadConfigFile(path.join(CONFIG_DIR, 'migration-import.yaml'), env);
    expect(config.import).toMatchObject({ input_format: 'clerk-csv', report: './migration-report', on_conflict: 'skip', dry_run: true });
    expect(config.import?.from).toMatch(/\.csv$/);
    expect((await loadConfigFile(path.join(CONFIG_DIR, 'migration-import.yaml'), {})).clerk).toEqual({});
  });
});
