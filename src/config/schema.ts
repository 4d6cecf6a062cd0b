/**
 * The config file (`clerk-etl export --config nightly.yaml`): its schema is derived from the
 * settings' declarations (src/settings/declarations.ts), where each key, its kind and its default
 * are stated once.
 *
 * Keys are snake_case, as written in YAML. Every section is optional, every key in it is optional,
 * and every mapping is strict: an unknown key is an error (see `load.ts` for the "did you mean"
 * messages). A value left out falls through to the environment and then the built-in default
 * (flags > config file > environment > defaults, see `merge.ts`); the defaults are the
 * declarations'.
 *
 * Values arrive after `${ENV}` substitution, so a number or a boolean may come in as text
 * (`concurrency: ${EXPORT_CONCURRENCY}`): whole numbers and `true`/`false` written as text are
 * accepted. Sizes are converted to bytes here, so {@link ConfigFile} holds plain numbers.
 *
 * The `error` strings say what was expected; `load.ts` adds the key path and what was received.
 */
import { z } from 'zod';
import type { AnySetting, ConfigSection } from '../settings/declare.js';
import { EXPORT_SETTINGS, IMPORT_SETTINGS } from '../settings/declarations.js';

export type { ConfigSection };

/**
 * A strict mapping whose keys are all optional. A section written with nothing under it
 * (`export:` with every key commented out) counts as absent.
 */
function section(shape: Record<string, z.ZodType>, name: string) {
  return z.preprocess(
    (value) => (value === null ? undefined : value),
    z.strictObject(shape, { error: `expected a mapping (indented key: value lines under ${name}:)` }).partial().optional(),
  );
}

/** The sections a config file may have at its top level, and the mappings nested in a section. */
const TOP_SECTIONS = ['clerk', 'export', 'import'] as const;
const NESTED: Record<string, ConfigSection[]> = { export: ['export.s3', 'export.pii'] };

/** Every declared key of each section, in declaration order; a key shared by export and import (clerk.api_url) once. */
function keysBySection(): Record<ConfigSection, Map<string, AnySetting>> {
  const out: Record<ConfigSection, Map<string, AnySetting>> = { clerk: new Map(), export: new Map(), 'export.s3': new Map(), 'export.pii': new Map(), import: new Map() };
  for (const setting of [...Object.values<AnySetting>(EXPORT_SETTINGS), ...Object.values<AnySetting>(IMPORT_SETTINGS)]) {
    if (setting.config && !out[setting.config.section].has(setting.config.key)) out[setting.config.section].set(setting.config.key, setting);
  }
  return out;
}

const declared = keysBySection();

function shapeOf(name: ConfigSection): Record<string, z.ZodType> {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, setting] of declared[name]) shape[key] = setting.kind.config;
  for (const nested of NESTED[name] ?? []) shape[nested.slice(name.length + 1)] = section(shapeOf(nested), nested.slice(name.length + 1));
  return shape;
}

const topShape = Object.fromEntries(TOP_SECTIONS.map((name) => [name, section(shapeOf(name), name)]));

/** The whole config file. Parse with `loadConfigFile` (it also substitutes `${ENV}` and checks secrets), not directly. */
export const configFileSchema = z.strictObject(topShape, { error: 'expected a mapping with the sections clerk, export and/or import' });

/** A section's values by key, as the declarations' kinds give them (sizes in bytes, formats as a de-duplicated list). */
export type ConfigValues = Record<string, unknown>;

/** A loaded, validated config file: snake_case keys as in YAML. */
export interface ConfigFile {
  clerk?: ConfigValues;
  export?: ConfigValues & { s3?: ConfigValues; pii?: ConfigValues };
  import?: ConfigValues;
}

/** The sections a config file may have at its top level. */
export const TOP_LEVEL_KEYS: readonly string[] = TOP_SECTIONS;

/** The valid keys of each section, in declaration order (for "did you mean"). */
export const CONFIG_KEYS: Readonly<Record<ConfigSection, readonly string[]>> = {
  clerk: Object.keys(shapeOf('clerk')),
  export: Object.keys(shapeOf('export')),
  'export.s3': Object.keys(shapeOf('export.s3')),
  'export.pii': Object.keys(shapeOf('export.pii')),
  import: Object.keys(shapeOf('import')),
};
