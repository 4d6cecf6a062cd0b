import { createHmac } from 'node:crypto';
import { EtlError, registerSecret } from '../errors.js';
import type { Row } from '../model/records.js';
import { ALL_TABLES, type Column, type TableSchema } from '../model/schema.js';

/** What happens to a column: kept as is, left out, HMAC-SHA256 (hex), masked keeping its shape, or emptied. */
export const COLUMN_ACTIONS = ['keep', 'drop', 'hash', 'mask', 'null'] as const;
export type ColumnAction = (typeof COLUMN_ACTIONS)[number];
export const PII_PRESETS = ['none', 'analytics'] as const;
export type PiiPreset = (typeof PII_PRESETS)[number];

/** The environment variable holding the HMAC key of `hash`. */
export const HASH_KEY_VARIABLE = 'CLERK_ETL_HASH_KEY';

/** A PII policy as configured: a preset, then per-column actions (`table.column`), then whole tables dropped. */
export interface PiiPolicySpec {
  preset?: PiiPreset;
  columns?: Record<string, ColumnAction>;
  dropTables?: string[];
}

/** What the manifest records: every column whose action is not `keep`, and the dropped tables. Never the key. */
export interface PolicyDescription {
  preset: PiiPreset;
  columns: Record<string, Record<string, Exclude<ColumnAction, 'keep'>>>;
  dropped_tables: string[];
}

/**
 * `analytics`, hashed: direct identifiers an analyst joins or counts on (HMAC: the same value gives
 * the same hash in every table and run, so `users.primary_email_address` still joins
 * `user_email_addresses.email_address`, and `users.username` joins `public_user_data_username`).
 */
const HASHED_COLUMNS = new Set([
  'email_address',
  'phone_number',
  'web3_wallet',
  'primary_email_address',
  'primary_phone_number',
  'primary_web3_wallet',
  'username',
  'public_user_data_username',
  'public_user_data_identifier',
  'public_inviter_data_identifier',
  'invitation_email_address',
  'provider_user_id',
  'external_id',
  'scim_external_id',
]);

/**
 * `analytics`, dropped: what names or shows a person without being a join key (names, pictures:
 * Clerk's image URLs point at the person's photo, OAuth avatars at their provider profile), free
 * text the user or an identity provider wrote (passkey names, unsafe metadata, the signed web3
 * message that holds the wallet, OAuth redirect URLs that carry a login hint), secrets (backup codes,
 * private metadata) and `_extra`: fields the schema does not know cannot be classified.
 */
const DROPPED_COLUMNS = new Set([
  'first_name',
  'last_name',
  'public_user_data_first_name',
  'public_user_data_last_name',
  'profile_image_url',
  'image_url',
  'avatar_url',
  'public_user_data_profile_image_url',
  'public_user_data_image_url',
  'public_inviter_data_first_name',
  'public_inviter_data_last_name',
  'public_inviter_data_image_url',
  // An invitation's URL carries its sign-up ticket: a secret.
  'invitations.url',
  'organization_invitations.url',
  'invitation_url',
  'unsafe_metadata',
  'backup_codes',
  'verification_message',
  'verification_external_verification_redirect_url',
  '_extra',
  'user_passkeys.name',
]);
const PRIVATE_METADATA = /(^|_)private_metadata$/;

/**
 * `analytics`: identifiers hashed, names, pictures, free text and secrets dropped, wherever they
 * appear; everything else kept, the security booleans (`password_enabled`, `totp_enabled`,
 * `backup_code_enabled`, …) among them. README "Data governance" lists the result per column.
 */
function presetAction(preset: PiiPreset, table: string, c: Column): ColumnAction {
  if (preset === 'none') return 'keep';
  if (HASHED_COLUMNS.has(c.name)) return 'hash';
  if (DROPPED_COLUMNS.has(c.name) || DROPPED_COLUMNS.has(`${table}.${c.name}`) || PRIVATE_METADATA.test(c.name)) return 'drop';
  return 'keep';
}

/**
 * `j***@example.com`, `+1******4567`, otherwise the first character and one star per further
 * character. Characters are code points, so a character outside the BMP (an emoji: two UTF-16
 * units) is kept or starred whole, never split into a lone surrogate.
 */
export function maskValue(v: string): string {
  const chars = Array.from(v);
  const at = v.lastIndexOf('@');
  if (at > 0) return `${chars[0]}***${v.slice(at)}`;
  if (/^\+?[\d\s().-]{7,}$/.test(v)) {
    const keepEnd = 4;
    const keepStart = v.startsWith('+') ? 2 : 1;
    if (v.length <= keepStart + keepEnd) return '*'.repeat(v.length);
    return v.slice(0, keepStart) + '*'.repeat(v.length - keepStart - keepEnd) + v.slice(-keepEnd);
  }
  return chars.length <= 1 ? '*' : chars[0] + '*'.repeat(chars.length - 1);
}

/** A policy ready to apply to rows. */
export class CompiledPolicy {
  private readonly plans = new Map<string, { schema: TableSchema; keep: number[]; fns: Array<((v: unknown) => unknown) | null>; identity: boolean }>();
  readonly description: PolicyDescription;
  private readonly droppedTables: Set<string>;

  constructor(
    /** As given: a transform worker compiles its own copy from it. */
    readonly spec: PiiPolicySpec,
    env: Record<string, string | undefined>,
  ) {
    const preset = spec.preset ?? 'none';
    this.droppedTables = new Set(spec.dropTables ?? []);
    const problems: string[] = [];
    const tableNames = ALL_TABLES.map((t) => t.name as string);
    for (const t of this.droppedTables) if (!tableNames.includes(t)) problems.push(`--drop-table ${t}: no such table (tables: ${tableNames.join(', ')})`);
    const overrides = new Map<string, ColumnAction>();
    for (const [key, action] of Object.entries(spec.columns ?? {})) {
      const [table, column, ...rest] = key.split('.');
      const t = ALL_TABLES.find((x) => x.name === table);
      if (!t || !column || rest.length) {
        problems.push(`${key}: expected <table>.<column> with a table of ${tableNames.join(', ')}`);
        continue;
      }
      const c = t.columns.find((x) => x.name === column);
      if (!c) {
        problems.push(`${key}: table ${table} has no column ${column}`);
        continue;
      }
      if (!(COLUMN_ACTIONS as readonly string[]).includes(action)) problems.push(`${key}: unknown action "${action}"; use one of ${COLUMN_ACTIONS.join(', ')}`);
      if ((action === 'mask' || action === 'hash') && c.type !== 'string' && !(action === 'hash' && c.type === 'json')) problems.push(`${key}: ${action} needs a text column; ${column} is ${c.type}`);
      if (column === 'user_id' || column === '_run_id') if (action !== 'keep' && action !== 'hash') problems.push(`${key}: ${column} links the tables; it can only be kept or hashed`);
      overrides.set(key, action);
    }
    const description: PolicyDescription = { preset, columns: {}, dropped_tables: [...this.droppedTables] };
    let needsKey = false;
    const plans: Array<[TableSchema, ColumnAction[]]> = [];
    for (const t of ALL_TABLES) {
      if (this.droppedTables.has(t.name)) continue;
      const actions = t.columns.map((c) => overrides.get(`${t.name}.${c.name}`) ?? presetAction(preset, t.name, c));
      actions.forEach((a, i) => {
        if (a === 'keep') return;
        (description.columns[t.name] ??= {})[t.columns[i]!.name] = a;
        if (a === 'hash') needsKey = true;
      });
      plans.push([t, actions]);
    }
    const key = env[HASH_KEY_VARIABLE];
    if (needsKey && !key) problems.push(`the policy hashes columns, but ${HASH_KEY_VARIABLE} is not set: set it to a secret of at least 16 characters (the same key gives the same hashes across runs, so joins keep working)`);
    else if (needsKey && key!.length < 16) problems.push(`${HASH_KEY_VARIABLE} is too short: use at least 16 characters`);
    if (problems.length) throw new EtlError('CONFIG_INVALID', `PII policy: ${problems.join('; ')}.`);
    if (key) registerSecret(key);
    const hash = (v: unknown): unknown => (typeof v === 'string' ? createHmac('sha256', key!).update(v, 'utf8').digest('hex') : v);
    const mask = (v: unknown): unknown => (typeof v === 'string' ? maskValue(v) : v);
    for (const [t, actions] of plans) {
      const keep: number[] = [];
      const fns: Array<((v: unknown) => unknown) | null> = [];
      const columns: Column[] = [];
      actions.forEach((a, i) => {
        if (a === 'drop') return;
        keep.push(i);
        const c = t.columns[i]!;
        fns.push(a === 'hash' ? hash : a === 'mask' ? mask : a === 'null' ? () => null : null);
        columns.push(a === 'keep' ? c : { ...c, nullable: c.nullable || a === 'null', description: `${c.description} [${a === 'hash' ? 'HMAC-SHA256 hex' : a}]`.trim() });
      });
      this.plans.set(t.name, { schema: { ...t, columns }, keep, fns, identity: actions.every((a) => a === 'keep') });
    }
    this.description = description;
  }

  /** The description limited to the tables a run wrote (the manifest names no table the run did not have). */
  describeTables(tables: ReadonlySet<string>): PolicyDescription {
    const d = this.description;
    return {
      preset: d.preset,
      columns: Object.fromEntries(Object.entries(d.columns).filter(([t]) => tables.has(t))),
      dropped_tables: d.dropped_tables.filter((t) => tables.has(t)),
    };
  }

  /** Whether any column or table is changed at all. */
  get active(): boolean {
    return this.droppedTables.size > 0 || Object.keys(this.description.columns).length > 0;
  }

  tableDropped(name: string): boolean {
    return this.droppedTables.has(name);
  }

  /** The table as written: dropped columns left out. */
  schemaFor(table: TableSchema): TableSchema {
    return this.plans.get(table.name)?.schema ?? table;
  }

  apply(table: string, rows: Row[]): Row[] {
    const plan = this.plans.get(table);
    if (!plan || plan.identity) return rows;
    const { keep, fns } = plan;
    return rows.map((r) => {
      const out = new Array(keep.length);
      for (let i = 0; i < keep.length; i++) {
        const v = r[keep[i]!];
        const fn = fns[i];
        out[i] = fn && v !== null && v !== undefined ? fn(v) : v;
      }
      return out;
    });
  }
}

/** raw keeps every field as received: it cannot carry a policy that removes or changes any. */
export function assertPolicyAllowsFormats(policy: CompiledPolicy | undefined, formats: readonly string[]): void {
  if (policy?.active && formats.includes('raw')) {
    throw new EtlError('USAGE', 'Format raw keeps every field exactly as received, so it cannot carry a PII policy: leave raw out of --format, or use --pii none.');
  }
}
