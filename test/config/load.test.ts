import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigText, unknownKeyProblem } from '../../src/config/load.js';
import { CONFIG_KEYS, TOP_LEVEL_KEYS } from '../../src/config/schema.js';
import { redactSecrets } from '../../src/errors.js';
import { messageOf, problemsOf } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'clerk-etl-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('unknown keys', () => {
  it('names the key and the closest valid one among its siblings', () => {
    expect(problemsOf('export:\n  formt: parquet\n')).toEqual(['test.yaml: export.formt: unknown key; did you mean "format"?']);
    expect(problemsOf('export:\n  s3:\n    endpont: http://minio:9000\n')).toEqual(['test.yaml: export.s3.endpont: unknown key; did you mean "endpoint"?']);
    expect(problemsOf('import:\n  on_conflcit: skip\n')).toEqual(['test.yaml: import.on_conflcit: unknown key; did you mean "on_conflict"?']);
    expect(problemsOf('exprot:\n  to: ./out\n')).toEqual(['test.yaml: exprot: unknown key; did you mean "export"?']);
  });

  it('knows flag spellings of a key (camelCase, kebab-case)', () => {
    expect(problemsOf('export:\n  maxFileBytes: 1G\n  row-group-size: 1000\n')).toEqual([
      'test.yaml: export.maxFileBytes: unknown key; did you mean "max_file_bytes"?',
      'test.yaml: export.row-group-size: unknown key; did you mean "row_group_size"?',
    ]);
  });

  it('points a key in the wrong section to the right one', () => {
    expect(problemsOf('export:\n  on_conflict: skip\n')).toEqual(['test.yaml: export.on_conflict: unknown key; on_conflict belongs under import']);
    expect(problemsOf('import:\n  api_url: https://api.clerk.com\n')).toEqual(['test.yaml: import.api_url: unknown key; api_url belongs under clerk']);
    expect(problemsOf('export:\n  endpoint: http://minio:9000\n  s3_region: eu-west-1\n')).toEqual([
      'test.yaml: export.endpoint: unknown key; endpoint belongs under export.s3',
      'test.yaml: export.s3_region: unknown key; region belongs under export.s3',
    ]);
    expect(problemsOf('concurrency: 4\nsecret_key: ${CLERK_SECRET_KEY}\n')).toEqual([
      'test.yaml: concurrency: unknown key; concurrency belongs under export or import',
      'test.yaml: secret_key: unknown key; secret_key belongs under clerk',
    ]);
    expect(problemsOf('export:\n  import:\n    from: users.csv\n')).toEqual(['test.yaml: export.import: unknown key; import is a top-level section, not under export']);
  });

  it('lists the valid keys when nothing is close', () => {
    expect(problemsOf('clerk:\n  bogus: 1\n')).toEqual(['test.yaml: clerk.bogus: unknown key; valid keys under clerk: secret_key, api_url, rate_limit, user_agent']);
    // One edit in four characters is not a typo of an unrelated key ("note" is not "mode").
    expect(unknownKeyProblem('export', 'note')).toBe(`unknown key; valid keys under export: ${CONFIG_KEYS.export.join(', ')}`);
  });

  it('exports the valid keys of every section', () => {
    expect(TOP_LEVEL_KEYS).toEqual(['clerk', 'export', 'import']);
    expect(CONFIG_KEYS.clerk).toEqual(['secret_key', 'api_url', 'rate_limit', 'user_agent']);
    expect(CONFIG_KEYS['export.s3']).toEqual(['endpoint', 'region', 'path_style', 'sse', 'kms_key_id', 'storage_class', 'part_size', 'queue_size', 'checksums', 'orphan_grace_minutes']);
    expect(CONFIG_KEYS.export).toHaveLength(27);
    expect(CONFIG_KEYS.export).toEqual(expect.arrayContaining(['pii', 'csv_formula_escape', 'schema_contract', 'workers', 'resources']));
    expect(CONFIG_KEYS.import).toEqual(['from', 'input_format', 'report', 'on_conflict', 'dry_run', 'external_id', 'concurrency', 'max_attempts', 'request_timeout_ms', 'log_format', 'log_level']);
  });
});

describe('validation', () => {
  it('reports every problem at once, in file order, each as <file>: <key.path>: <problem>', () => {
    const text = [
      'clerk:',
      '  api_url: api.clerk.com',
      '  rate_limit: 100/0s',
      'export:',
      '  formt: parquet',
      '  format: parquet,parqet',
      '  concurrency: 0',
      '  mode: nightly',
      '  detect_deletions: yes',
      '  on_conflict: skip',
      '  s3:',
      '    part_size: 1MiB',
      '    sse: aes256',
      'import:',
      '  dry_run:',
      '  max_attempts: 2.5',
    ].join('\n');
    expect(problemsOf(text, {}, 'nightly.yaml')).toEqual([
      'nightly.yaml: clerk.api_url: expected an http:// or https:// URL such as https://api.clerk.com; got "api.clerk.com"',
      'nightly.yaml: clerk.rate_limit: expected requests per window, like 100 (per 10 s) or 100/10s; got "100/0s"',
      'nightly.yaml: export.formt: unknown key; did you mean "format"?',
      'nightly.yaml: export.format[1]: expected one of parquet, csv, ndjson, raw; got "parqet"; did you mean "parquet"?',
      'nightly.yaml: export.concurrency: expected a whole number ≥ 1; got 0',
      'nightly.yaml: export.mode: expected one of full, incremental; got "nightly"',
      'nightly.yaml: export.detect_deletions: expected true or false; got "yes"',
      'nightly.yaml: export.on_conflict: unknown key; on_conflict belongs under import',
      "nightly.yaml: export.s3.part_size: must be at least 5MiB (S3's minimum part size); got \"1MiB\"",
      'nightly.yaml: export.s3.sse: expected one of AES256, aws:kms; got "aes256"; did you mean "AES256"?',
      'nightly.yaml: import.dry_run: has no value (expected true or false); give it one or remove the key',
      'nightly.yaml: import.max_attempts: expected a whole number ≥ 1; got 2.5',
    ]);
  });

  it('rejects a section that is not a mapping, and a file that is not one', () => {
    expect(problemsOf('export: ./out\n')).toEqual(['test.yaml: export: expected a mapping (indented key: value lines under export:); got "./out"']);
    expect(problemsOf('- export\n')).toEqual(['test.yaml: expected a mapping with the sections clerk, export and/or import; got a list']);
  });

  it('returns typed values: formats as a list, sizes in bytes, numbers and booleans from text', () => {
    const config = parseConfigText(
      ['clerk:', '  rate_limit: 100', 'export:', '  format: parquet, csv ,parquet', '  max_file_bytes: 512MB', '  row_group_size: 25_000', '  s3:', '    part_size: 8MiB', '    path_style: TRUE'].join('\n'),
      'x.yaml',
      {},
    );
    expect(config).toEqual({
      clerk: { rate_limit: '100' },
      export: { format: ['parquet', 'csv'], max_file_bytes: 512 * 1024 ** 2, row_group_size: 25_000, s3: { part_size: 8 * 1024 ** 2, path_style: true } },
    });
  });

  it('accepts an empty file and empty sections', () => {
    expect(parseConfigText('', 'x.yaml', {})).toEqual({});
    expect(parseConfigText('# nothing yet\nexport:\nimport:\n', 'x.yaml', {})).toEqual({});
  });

  it.each([
    ['134217728', 134217728],
    ['128MiB', 128 * 1024 ** 2],
    ['512MB', 512 * 1024 ** 2],
    ['512 mb', 512 * 1024 ** 2],
    ['1G', 1024 ** 3],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['64k', 64 * 1024],
    ['100B', 100],
  ])('max_file_bytes: %s is %d bytes', (written, bytes) => {
    expect(parseConfigText(`export:\n  max_file_bytes: ${written}\n`, 'x.yaml', {}).export?.max_file_bytes).toBe(bytes);
  });

  it('rejects sizes that are not sizes', () => {
    const expected = 'expected a size: a number of bytes, or a number with a unit such as 128MiB, 512MB, 1G';
    expect(problemsOf('export:\n  max_file_bytes: 12 parsecs\n  s3:\n    part_size: -5MiB\n')).toEqual([
      `test.yaml: export.max_file_bytes: ${expected}; got "12 parsecs"`,
      `test.yaml: export.s3.part_size: ${expected}; got "-5MiB"`,
    ]);
    expect(problemsOf('export:\n  max_file_bytes: 0\n')).toEqual(['test.yaml: export.max_file_bytes: must be at least 1B (one byte); got 0']);
  });
});

describe('${ENV} references', () => {
  const env = { OUT: './out', BUCKET: 'lake', CONC: '8', EMPTY: '' };

  it('substitutes ${VAR}, ${VAR:-default} and the escape $${', () => {
    const config = parseConfigText(
      [
        'export:',
        '  to: s3://${BUCKET}/clerk/${STAGE:-prod}',
        '  state: ${OUT}/state-$${literal}.json',
        '  summary_file: ${EMPTY:-fallback.json}',
        '  concurrency: ${CONC}',
        '  format: [parquet, "${EXTRA:-csv}"]',
        '  from: $$not-a-ref',
      ].join('\n'),
      'x.yaml',
      env,
    );
    expect(config.export).toEqual({
      to: 's3://lake/clerk/prod',
      state: './out/state-${literal}.json',
      summary_file: 'fallback.json',
      concurrency: 8,
      format: ['parquet', 'csv'],
      from: '$$not-a-ref',
    });
  });

  it('treats a sole reference that comes out empty as not set', () => {
    expect(parseConfigText('export:\n  to: ${EMPTY}\n  state: ${UNSET:-}\n', 'x.yaml', env)).toEqual({ export: {} });
  });

  it('rejects an unset variable without a default, naming the key path and the variable', () => {
    expect(problemsOf('export:\n  to: ./out\n  state: s3://${STATE_BUCKET}/state.json\n', env)).toEqual([
      'test.yaml: export.state: environment variable STATE_BUCKET is not set; set it, or give a default with ${STATE_BUCKET:-default}',
    ]);
  });

  it('rejects a malformed reference', () => {
    expect(problemsOf('export:\n  to: ${OUT\n  state: ${1X}\n', env)).toEqual([
      'test.yaml: export.to: malformed reference "${OUT": write ${NAME} or ${NAME:-default}, and $${ for a literal ${',
      'test.yaml: export.state: malformed reference "${1X}": write ${NAME} or ${NAME:-default}, and $${ for a literal ${',
    ]);
  });

  it('says which variable a bad value came from', () => {
    expect(problemsOf('export:\n  concurrency: ${CONC}\n', { CONC: 'eight' })).toEqual(['test.yaml: export.concurrency: expected a whole number ≥ 1; got "eight" (from $CONC)']);
  });
});

describe('secrets', () => {
  const clerkLive = ['sk', 'live', '2xQ9mB7vKpL4nR8sT1wY6zA3cD5eF0gH'].join('_');
  const clerkTest = ['sk', 'test', 'Zq8Wk3Jm5Np7Rt9Vx2Yb4Dc6Fg1Hj0Ls'].join('_');
  const awsSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

  it('requires clerk.secret_key to be one ${ENV} reference', () => {
    const advice = 'put the key in an environment variable and write secret_key: ${CLERK_SECRET_KEY}';
    expect(problemsOf('clerk:\n  secret_key: my-key-here\n')).toEqual([
      `test.yaml: clerk.secret_key: must be a reference to an environment variable, not a value written in the file; ${advice}`,
    ]);
    expect(problemsOf('clerk:\n  secret_key: prefix-${CLERK_SECRET_KEY}\n', { CLERK_SECRET_KEY: 'whatever-value' })[0]).toContain(advice);
    expect(problemsOf('clerk:\n  secret_key: ${CLERK_SECRET_KEY:-fallback}\n')).toEqual([
      'test.yaml: clerk.secret_key: must not have a default (it would be a key written in the file); write secret_key: ${CLERK_SECRET_KEY}, or ${CLERK_SECRET_KEY:-} to make it optional',
    ]);
    expect(problemsOf('clerk:\n  secret_key: ${CLERK_SECRET_KEY}\n')).toEqual([
      'test.yaml: clerk.secret_key: environment variable CLERK_SECRET_KEY is not set; set it to the secret key of the instance, or write ${CLERK_SECRET_KEY:-} to make the key optional',
    ]);
    expect(parseConfigText('clerk:\n  secret_key: ${CLERK_SECRET_KEY}\n', 'x.yaml', { CLERK_SECRET_KEY: clerkTest }).clerk?.secret_key).toBe(clerkTest);
    expect(parseConfigText('clerk:\n  secret_key: ${CLERK_SECRET_KEY:-}\n', 'x.yaml', {})).toEqual({ clerk: {} });
  });

  it.each([
    ['clerk.secret_key', `clerk:\n  secret_key: ${clerkLive}\n`, clerkLive],
    ['clerk.secret_key', `clerk:\n  secret_key: "\${CLERK_SECRET_KEY:-${clerkTest}}"\n`, clerkTest],
    ['clerk.api_url', `clerk:\n  api_url: ${clerkLive}\n`, clerkLive],
    ['export.to', `export:\n  to: s3://bucket/${clerkTest}/out\n`, clerkTest],
    ['export.format[1]', `export:\n  format: [parquet, ${clerkLive}]\n`, clerkLive],
    ['import.notes', `import:\n  notes: ${clerkTest}\n`, clerkTest],
  ])('rejects a Clerk key written at %s without repeating it', (at, text, secret) => {
    const message = messageOf(text);
    expect(message).toContain(`test.yaml: ${at}: looks like a Clerk secret key written in the file; put the key in an environment variable and write secret_key: \${CLERK_SECRET_KEY}`);
    expect(message).not.toContain(secret);
    expect(message).not.toContain(secret.slice(8));
    // Not even redacted: the value is never put into a message in the first place.
    expect(message).not.toContain('REDACTED');
  });

  it('rejects AWS credentials written in the file without repeating them', () => {
    // endpoint and sse would echo a wrong value ("got …"): not when it is a secret.
    const problems = problemsOf(`export:\n  s3:\n    endpoint: ${awsSecret}\n    sse: AKIAIOSFODNN7EXAMPLE\n`);
    expect(problems).toEqual([
      'test.yaml: export.s3.endpoint: looks like an AWS secret access key written in the file; remove it: AWS credentials come from the default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile or a role)',
      'test.yaml: export.s3.sse: looks like an AWS access key id written in the file; remove it: AWS credentials come from the default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile or a role)',
    ]);
    expect(problems.join('\n')).not.toContain(awsSecret);
    expect(problems.join('\n')).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('does not mistake long paths or digests for AWS secrets', () => {
    const config = parseConfigText(
      ['export:', '  to: ./exports/clerk/production/nightly/users0', '  state: s3://bucket/0123456789abcdef0123456789abcdef01234567.json', '  from: Clerk/Exports/2024/Nightly/Production/A1'].join('\n'),
      'x.yaml',
      {},
    );
    expect(config.export?.to).toBe('./exports/clerk/production/nightly/users0');
    expect(config.export?.from).toBe('Clerk/Exports/2024/Nightly/Production/A1');
  });

  it('registers secrets from the environment, so they are redacted from logs and errors', () => {
    const fromEnv = 'emulator-secret-not-shaped-like-a-key-1234';
    parseConfigText('clerk:\n  secret_key: ${MY_CLERK_KEY}\nexport:\n  to: ${OUT_DIR}\n', 'x.yaml', { MY_CLERK_KEY: fromEnv, OUT_DIR: './plain-output-folder' });
    expect(redactSecrets(`key=${fromEnv}`)).toBe('key=[REDACTED]');
    // Values that are not secrets stay readable in logs.
    expect(redactSecrets('to ./plain-output-folder')).toBe('to ./plain-output-folder');
  });

  it('never echoes a secret from the environment that lands in the wrong key', () => {
    const secret = ['sk', 'live', 'FromTheEnvironment0123456789'].join('_');
    const message = messageOf('clerk:\n  api_url: ${CLERK_SECRET_KEY}\n', { CLERK_SECRET_KEY: secret });
    expect(message).toMatch(/^test\.yaml: clerk\.api_url: expected an http:\/\/ or https:\/\/ URL such as https:\/\/api\.clerk\.com; got "\[REDACTED\]" \(from \$CLERK_SECRET_KEY\)$/);
    expect(message).not.toContain('FromTheEnvironment');
  });
});

describe('YAML syntax and files', () => {
  it('names the file, line and column of a syntax error', () => {
    expect(problemsOf('export:\n  to: ./out\n\tformat: csv\n', {}, 'tabs.yaml')).toEqual(['tabs.yaml: line 3, column 1: invalid YAML: Tabs are not allowed as indentation']);
    expect(problemsOf('import:\n  from: a.csv\n  from: b.csv\n', {}, 'dup.yaml')).toEqual(['dup.yaml: line 3, column 3: invalid YAML: Map keys must be unique']);
    expect(messageOf('export:\n  to: "./out\n', {}, 'quote.yaml')).toMatch(/^quote\.yaml: line 3, column 1: invalid YAML: Missing closing "quote/);
  });

  it('reads a file from disk and names it in messages', async () => {
    const file = path.join(dir, 'typo.yaml');
    writeFileSync(file, 'export:\n  formt: csv\n');
    await expect(loadConfigFile(file, {})).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: `${file}: export.formt: unknown key; did you mean "format"?` });
    const good = path.join(dir, 'good.yaml');
    writeFileSync(good, 'export:\n  format: csv\n');
    await expect(loadConfigFile(good, {})).resolves.toEqual({ export: { format: ['csv'] } });
  });

  it('says when the file cannot be read', async () => {
    const missing = path.join(dir, 'missing.yaml');
    await expect(loadConfigFile(missing, {})).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: `Cannot read config file ${missing}: no such file. Check the --config path.` });
  });
});
