/**
 * Read a config file: parse the YAML, refuse secrets written in it, substitute `${ENV}`
 * references, validate against the schema, and report every problem at once.
 *
 * Every message line is `<file>: <key.path>: <problem>` (YAML syntax errors:
 * `<file>: line L, column C: <problem>`), in the order of the file. With more than one problem the
 * message starts with a header line, `Config file <file> has N problems:`.
 */
import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { EtlError, redactSecrets, registerSecret } from '../errors.js';
import { interpolate, SOLE_REFERENCE, type ConfigPath, type Substitution } from './interpolate.js';
import { CONFIG_KEYS, configFileSchema, TOP_LEVEL_KEYS, type ConfigFile, type ConfigSection } from './schema.js';
import { findSecret, secretAdvice } from './secrets.js';
import { closest, normalizeName } from './suggest.js';

/**
 * Load and validate a config file. Throws one `EtlError('CONFIG_INVALID')` listing every problem.
 *
 * @param path the file, as the user named it (messages use it as given)
 * @param env where `${NAME}` references are looked up; default `process.env`
 */
export async function loadConfigFile(path: string, env: Record<string, string | undefined> = process.env): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new EtlError('CONFIG_INVALID', `Cannot read config file ${path}: ${why}. Check the --config path.`, { cause: err });
  }
  return parseConfigText(text, path, env);
}

/** {@link loadConfigFile} on text already read; `file` names it in messages. */
export function parseConfigText(text: string, file: string, env: Record<string, string | undefined> = process.env): ConfigFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    fail(
      file,
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { at: `line ${line}, column ${col}`, text: `invalid YAML: ${e.message}`, pos: e.pos[0] };
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS() ?? {};
  } catch (err) {
    // Aliases are resolved here (an undefined anchor, or too many aliases).
    fail(file, [{ at: '', text: `invalid YAML: ${(err as Error).message}`, pos: 0 }]);
  }

  const problems: Problem[] = [];
  // Paths whose value must not be described in a message (a secret), or whose problem is already told.
  const quiet: ConfigPath[] = [];
  const report = (path: ConfigPath, text: string, hush = true): void => {
    problems.push({ at: formatPath(path), text, pos: positionOf(doc, path) });
    if (hush) quiet.push(path);
  };

  // 1. Secrets written in the file, before anything could echo them.
  walkStrings(raw, [], (value, path) => {
    const kind = findSecret(value);
    if (kind) report(path, `looks like ${kind} written in the file; ${secretAdvice(kind)}`);
  });
  const secretKey = isRecord(raw) && isRecord(raw.clerk) && 'secret_key' in raw.clerk ? raw.clerk.secret_key : undefined;
  const secretKeyPath = ['clerk', 'secret_key'];
  if (secretKey !== undefined && !isQuiet(quiet, secretKeyPath)) {
    const m = typeof secretKey === 'string' ? SOLE_REFERENCE.exec(secretKey) : null;
    if (!m) {
      report(secretKeyPath, 'must be a reference to an environment variable, not a value written in the file; put the key in an environment variable and write secret_key: ${CLERK_SECRET_KEY}');
    } else if (m[2]) {
      report(secretKeyPath, `must not have a default (it would be a key written in the file); write secret_key: \${${m[1]}}, or \${${m[1]}:-} to make it optional`);
    }
  }

  // 2. ${ENV} substitution (its errors are reported below, after the unknown keys). Secrets that
  // came from the environment are registered before any message is built, so EtlError redacts
  // them wherever they appear.
  const { tree, substitutions } = interpolate(raw, env);
  for (const s of substitutions) {
    if (s.value !== undefined && s.fromEnv.length > 0 && (samePath(s.path, secretKeyPath) || findSecret(s.value))) registerSecret(s.value);
  }

  // 3. The schema. Unknown keys first: a problem inside an unknown key is not worth telling.
  const parsed = configFileSchema.safeParse(tree ?? {}, { reportInput: true });
  const issues = parsed.success ? [] : parsed.error.issues;
  const unknown: ConfigPath[] = [];
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    for (const key of issue.keys) {
      const path = [...issue.path, key] as ConfigPath;
      unknown.push(path);
      // Its message never shows the value, so it is reported even when the value is a secret.
      report(path, unknownKeyProblem(sectionOf(issue.path as ConfigPath), key), false);
    }
  }
  for (const s of substitutions) {
    if (isQuiet(quiet, s.path) || isQuiet(unknown, s.path)) continue;
    for (const error of s.errors) {
      const optional = error.unsetVariable && samePath(s.path, secretKeyPath);
      report(s.path, optional ? `environment variable ${error.unsetVariable} is not set; set it to the secret key of the instance, or write \${${error.unsetVariable}:-} to make the key optional` : error.message);
    }
  }
  for (const issue of issues) {
    const path = issue.path as ConfigPath;
    if (issue.code === 'unrecognized_keys' || isQuiet(quiet, path)) continue;
    report(path, issueProblem(issue, tree, path, substitutions), false);
  }

  if (problems.length > 0) fail(file, problems);
  return parsed.data!;
}

// ---------------------------------------------------------------------------------------------
// Messages

interface Problem {
  /** `export.s3.endpoint`, `line 3, column 5`, or '' for the file as a whole. */
  at: string;
  text: string;
  /** Offset in the file, to list problems in file order. */
  pos: number;
}

function fail(file: string, problems: Problem[]): never {
  const lines = [
    ...new Set(
      problems
        .map((p, i) => ({ ...p, i }))
        .sort((a, b) => a.pos - b.pos || a.i - b.i)
        .map((p) => `${file}: ${p.at ? `${p.at}: ` : ''}${p.text}`),
    ),
  ];
  throw new EtlError('CONFIG_INVALID', lines.length === 1 ? lines[0]! : `Config file ${file} has ${lines.length} problems:\n${lines.join('\n')}`);
}

/** `['export', 'format', 1]` → `export.format[1]`. */
export function formatPath(path: ConfigPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/**
 * The message for an unknown key, trying in turn: the same name spelled differently
 * (`maxFileBytes`), a key of another section (`export.on_conflict` → import), a close spelling
 * here (`formt` → `format`), a close spelling elsewhere, and finally the list of valid keys.
 */
export function unknownKeyProblem(section: ConfigSection | undefined, key: string): string {
  const siblings: readonly string[] = section ? CONFIG_KEYS[section] : TOP_LEVEL_KEYS;
  const same = siblings.find((k) => normalizeName(k) === normalizeName(key));
  if (same) return `unknown key; did you mean "${same}"?`;

  // `s3_endpoint` under export is `endpoint` under export.s3 (the flag is --s3-endpoint).
  const names = [key, ...(/^s3[-_]./i.test(key) ? [key.slice(3)] : [])].map(normalizeName);
  const homes = otherSections(section).flatMap(({ name, keys }) => {
    const k = keys.find((candidate) => names.includes(normalizeName(candidate)));
    return k ? [{ name, key: k }] : [];
  });
  if (homes.length > 0) {
    const k = homes[0]!.key;
    const where = homes.filter((h) => h.key === k).map((h) => h.name);
    return where[0] === undefined ? `unknown key; ${k} is a top-level section, not under ${section}` : `unknown key; ${k} belongs under ${where.join(' or ')}`;
  }

  const near = closest(key, siblings);
  if (near) return `unknown key; did you mean "${near}"?`;
  // Elsewhere only a single edit counts: a loose match in another section is more often wrong than right.
  for (const { name, keys } of otherSections(section)) {
    const far = closest(key, keys, 1);
    if (far) return `unknown key; did you mean "${far}"? (it belongs ${name === undefined ? 'at the top level' : `under ${name}`})`;
  }
  return `unknown key; valid keys ${section ? `under ${section}` : 'at the top level'}: ${siblings.join(', ')}`;
}

/** Every section but `section`, the top level as `name: undefined`. */
function otherSections(section: ConfigSection | undefined): { name: ConfigSection | undefined; keys: readonly string[] }[] {
  const all: { name: ConfigSection | undefined; keys: readonly string[] }[] = [
    ...(Object.keys(CONFIG_KEYS) as ConfigSection[]).map((name) => ({ name, keys: CONFIG_KEYS[name] as readonly string[] })),
    { name: undefined, keys: TOP_LEVEL_KEYS },
  ];
  return all.filter((s) => s.name !== section);
}

function sectionOf(path: ConfigPath): ConfigSection | undefined {
  const dotted = path.join('.');
  return dotted === '' ? undefined : (dotted as ConfigSection);
}

function issueProblem(issue: z.core.$ZodIssue, tree: unknown, path: ConfigPath, substitutions: Substitution[]): string {
  // The value as written (after substitution) reads better than the preprocessed one (`1MiB`, not 1048576).
  const found = lookup(tree, path);
  const received = found.ok ? found.value : issue.input;
  if (received === null || (received === undefined && path.length > 0)) return `has no value (${issue.message}); give it one or remove the key`;
  const fromEnv = substitutions.find((s) => samePath(s.path, path))?.fromEnv ?? [];
  let text = `${issue.message}; got ${describe(received)}${fromEnv.length > 0 ? ` (from ${fromEnv.map((n) => `$${n}`).join(', ')})` : ''}`;
  if (issue.code === 'invalid_value' && typeof received === 'string') {
    const near = closest(received, issue.values.map(String));
    if (near) text += `; did you mean "${near}"?`;
  }
  return text;
}

/** A received value, for a message. Registered secrets are redacted before anything is cut. */
function describe(value: unknown): string {
  if (typeof value === 'string') {
    const shown = redactSecrets(value);
    return JSON.stringify(shown.length > 80 ? `${shown.slice(0, 77)}...` : shown);
  }
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// Trees and paths

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function walkStrings(node: unknown, path: ConfigPath, visit: (value: string, path: ConfigPath) => void): void {
  if (typeof node === 'string') visit(node, path);
  else if (Array.isArray(node)) node.forEach((item, i) => walkStrings(item, [...path, i], visit));
  else if (isRecord(node)) for (const [key, value] of Object.entries(node)) walkStrings(value, [...path, key], visit);
}

function lookup(tree: unknown, path: ConfigPath): { ok: true; value: unknown } | { ok: false } {
  let node = tree;
  for (const key of path) {
    if (typeof key === 'number' ? !Array.isArray(node) || key >= node.length : !isRecord(node) || !Object.hasOwn(node, key)) return { ok: false };
    node = (node as Record<string | number, unknown>)[key];
  }
  return { ok: true, value: node };
}

function samePath(a: ConfigPath, b: ConfigPath): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/** Whether `path` is, or is inside, one of `paths`. */
function isQuiet(paths: ConfigPath[], path: ConfigPath): boolean {
  return paths.some((q) => q.length <= path.length && q.every((k, i) => k === path[i]));
}

/** Offset of the node at `path` in the file (of its nearest existing parent when it has none). */
function positionOf(doc: Document, path: ConfigPath): number {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return 0;
}
