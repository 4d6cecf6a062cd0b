/**
 * `${NAME}` references in config values, replaced from the environment.
 *
 * - `${NAME}`: the variable's value; an unset variable is an error (set but empty gives "").
 * - `${NAME:-default}`: the default when the variable is unset or empty (as in sh).
 * - `$${`: a literal `${`.
 * - A mapping value that is nothing but one reference and comes out empty counts as not set, so
 *   `${NAME:-}` marks an optional setting: the key falls through to the environment and defaults.
 *
 * Only string values are substituted (in mappings and lists, at any depth), never keys.
 */

/** A config path: keys and list indexes from the top (`['export', 's3', 'endpoint']`). */
export type ConfigPath = readonly (string | number)[];

/** What substitution did to one string value. */
export interface Substitution {
  path: ConfigPath;
  /** The value as written in the file. */
  raw: string;
  /** The value after substitution (undefined when it had errors). */
  value?: string;
  /** Variables whose value (not a default) went into `value`. */
  fromEnv: string[];
  /** Problems, phrased to follow `<key.path>: `. */
  errors: SubstitutionError[];
}

/** A reference that could not be substituted. */
export interface SubstitutionError {
  /** Phrased to follow `<key.path>: `. */
  message: string;
  /** The variable, when the problem is that it is not set. */
  unsetVariable?: string;
}

/** The result of substituting a whole parsed YAML tree. */
export interface Interpolated {
  /**
   * The tree with every string substituted. A value with errors keeps its text as written (so the
   * schema still sees its key; its own problems are already reported); a mapping key whose value
   * is one reference that came out empty is dropped.
   */
  tree: unknown;
  /** One entry per string value that contained `${` or `$${`, in document order. */
  substitutions: Substitution[];
}

const NAME = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?$/;
/** The grammar of a value that is exactly one reference, as `clerk.secret_key` must be. */
export const SOLE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/;

/** Substitute one string. */
export function substitute(raw: string, env: Record<string, string | undefined>, path: ConfigPath = []): Substitution {
  const result: Substitution = { path, raw, fromEnv: [], errors: [] };
  let out = '';
  let i = 0;
  while (i < raw.length) {
    if (raw.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (!raw.startsWith('${', i)) {
      out += raw[i];
      i++;
      continue;
    }
    const close = raw.indexOf('}', i + 2);
    const body = close < 0 ? undefined : raw.slice(i + 2, close);
    const m = body === undefined ? null : NAME.exec(body);
    if (!m) {
      result.errors.push({ message: `malformed reference "${close < 0 ? raw.slice(i) : raw.slice(i, close + 1)}": write \${NAME} or \${NAME:-default}, and $\${ for a literal \${` });
      i = close < 0 ? raw.length : close + 1;
      continue;
    }
    // Group 1 always takes part in a match; group 2 (the default) only when `:-` is written.
    const name = m[1];
    const fallback: string | undefined = m[2];
    const value = env[name];
    if (fallback !== undefined && (value === undefined || value === '')) {
      out += fallback;
    } else if (value === undefined) {
      result.errors.push({ message: `environment variable ${name} is not set; set it, or give a default with \${${name}:-default}`, unsetVariable: name });
    } else {
      out += value;
      if (!result.fromEnv.includes(name)) result.fromEnv.push(name);
    }
    i = close + 1;
  }
  if (result.errors.length === 0) result.value = out;
  return result;
}

/** Substitute every string value of a parsed YAML tree. Pure: `tree` is not modified. */
export function interpolate(tree: unknown, env: Record<string, string | undefined>): Interpolated {
  const substitutions: Substitution[] = [];
  const EMPTY = Symbol('empty sole reference');
  const walk = (node: unknown, path: ConfigPath): unknown => {
    if (typeof node === 'string') {
      if (!node.includes('${')) return node;
      const s = substitute(node, env, path);
      substitutions.push(s);
      if (s.value === undefined) return node;
      if (s.value === '' && SOLE_REFERENCE.test(node)) return EMPTY;
      return s.value;
    }
    // A list keeps its length, so the paths of later items still match the file: an empty item stays "".
    if (Array.isArray(node)) {
      return node.map((item, index) => {
        const next = walk(item, [...path, index]);
        return next === EMPTY ? '' : next;
      });
    }
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) {
        const next = walk(value, [...path, key]);
        // defineProperty: a `__proto__` key stays an own (unknown, so reported) key, not a prototype.
        if (next !== EMPTY) Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return node;
  };
  const result = walk(tree, []);
  return { tree: result === EMPTY ? undefined : result, substitutions };
}
