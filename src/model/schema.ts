/**
 * The table schema, declared once. Validation (validate-user.ts), flattening (flatten-user.ts),
 * every writer and `clerk-etl schema` are driven by the declarations in this file.
 *
 * Source: Clerk's Backend API spec 2026-05-12 (docs/clerk-api.md, "The User object").
 */

/** Logical column types. */
export type ColumnType =
  /** UTF-8 text. */
  | 'string'
  | 'boolean'
  /** 64-bit integer (counts, seconds). */
  | 'int64'
  /** Clerk's Unix-millisecond integers: Parquet TIMESTAMP_MILLIS (UTC), ISO-8601 UTC text in CSV/NDJSON. */
  | 'timestamp'
  /** A nested object/array or free-form metadata, written as JSON text. */
  | 'json';

/** The JSON shape a source field must have (validation). */
export type FieldKind = 'string' | 'boolean' | 'integer' | 'object' | 'array' | 'any';

/** One field of a Clerk object, as the spec declares it. */
export interface FieldSpec {
  key: string;
  kind: FieldKind;
  /** Column type when the field becomes a column. */
  type: ColumnType;
  /** Listed in the spec's `required` array. */
  required: boolean;
  /** `nullable: true` in the spec. */
  nullable: boolean;
}

/** A nested object flattened one level into `<key>_<field>` columns. */
export interface ObjectSpec {
  key: string;
  required: boolean;
  nullable: boolean;
  fields: FieldSpec[];
  /**
   * A copy of an object that has its own table (a membership's `organization`): its listed fields
   * are checked but none becomes a column (the table's `keys` name the join column); its other
   * fields are known, not drift: that table holds them.
   */
  reference?: boolean;
}

/** A Clerk object type: its scalar fields and one-level nested objects. */
export interface EntitySpec {
  fields: FieldSpec[];
  objects: ObjectSpec[];
}

// --- declaration helpers: `name!` = required, `name?` = nullable, both allowed ("name!?") ----------
function field(decl: string, kind: FieldKind, type: ColumnType): FieldSpec {
  const m = /^([a-z0-9_]+)(!?)(\??)$/.exec(decl);
  if (!m) throw new Error(`bad field declaration ${decl}`);
  return { key: m[1]!, kind, type, required: m[2] === '!', nullable: m[3] === '?' };
}
const str = (d: string) => field(d, 'string', 'string');
const bool = (d: string) => field(d, 'boolean', 'boolean');
const int = (d: string) => field(d, 'integer', 'int64');
const ts = (d: string) => field(d, 'integer', 'timestamp');
const obj = (d: string) => field(d, 'object', 'json');
const arr = (d: string) => field(d, 'array', 'json');
function nested(decl: string, fields: FieldSpec[]): ObjectSpec {
  const f = field(decl, 'object', 'json');
  return { key: f.key, required: f.required, nullable: f.nullable, fields };
}

/**
 * Verification objects are a `oneOf` discriminated by `object`; the columns are the union of the
 * variants a parent allows. Required-ness differs per variant, so inside a verification only types
 * and nullability are checked.
 */
const V = {
  object: str('object'),
  status: str('status'),
  strategy: str('strategy'),
  attempts: int('attempts?'),
  expire_at: ts('expire_at?'),
  verified_at_client: str('verified_at_client?'),
  external_verification_redirect_url: str('external_verification_redirect_url?'),
  error: obj('error?'),
  channel: str('channel?'),
  nonce: str('nonce?'),
  message: str('message?'),
};
const verification = (...extra: Array<keyof typeof V>) =>
  nested('verification!?', [V.object, V.status, V.strategy, V.attempts, V.expire_at, V.verified_at_client, ...extra.map((k) => V[k])]);

export const USER: EntitySpec = {
  fields: [
    str('id!'),
    str('object!'),
    str('external_id!?'),
    str('primary_email_address_id!?'),
    str('primary_phone_number_id!?'),
    str('primary_web3_wallet_id!?'),
    str('username!?'),
    str('first_name!?'),
    str('last_name!?'),
    str('locale?'),
    str('profile_image_url'),
    str('image_url'),
    bool('has_image!'),
    obj('public_metadata!'),
    obj('private_metadata?'),
    obj('unsafe_metadata'),
    arr('email_addresses!'),
    arr('phone_numbers!'),
    arr('web3_wallets!'),
    arr('passkeys!'),
    bool('password_enabled!'),
    bool('two_factor_enabled!'),
    bool('totp_enabled!'),
    bool('backup_code_enabled!'),
    ts('mfa_enabled_at!?'),
    ts('mfa_disabled_at!?'),
    ts('password_last_updated_at?'),
    arr('external_accounts!'),
    arr('saml_accounts!'),
    arr('enterprise_accounts!'),
    arr('organization_memberships'),
    ts('last_sign_in_at!?'),
    bool('banned!'),
    bool('locked!'),
    bool('deprovisioned'),
    int('lockout_expires_in_seconds!?'),
    int('verification_attempts_remaining!?'),
    ts('updated_at!'),
    ts('created_at!'),
    bool('delete_self_enabled!'),
    bool('create_organization_enabled!'),
    int('create_organizations_limit?'),
    ts('last_active_at!?'),
    ts('legal_accepted_at!?'),
    bool('bypass_client_trust'),
  ],
  objects: [nested('scim?', [str('directory_id!'), bool('directory_enabled'), str('external_id!?')])],
};

const EMAIL_ADDRESS: EntitySpec = {
  fields: [str('id'), str('object!'), str('email_address!'), bool('reserved!'), arr('linked_to!'), bool('matches_sso_connection'), ts('created_at!'), ts('updated_at!')],
  objects: [verification('external_verification_redirect_url', 'error')],
};
const PHONE_NUMBER: EntitySpec = {
  fields: [
    str('id'),
    str('object!'),
    str('phone_number!'),
    bool('reserved_for_second_factor'),
    bool('default_second_factor'),
    bool('reserved!'),
    arr('linked_to!'),
    arr('backup_codes?'),
    ts('created_at!'),
    ts('updated_at!'),
  ],
  objects: [verification('channel')],
};
const WEB3_WALLET: EntitySpec = {
  fields: [str('id'), str('object!'), str('web3_wallet!'), ts('created_at!'), ts('updated_at!')],
  objects: [verification('nonce', 'message')],
};
const PASSKEY: EntitySpec = {
  fields: [str('id'), str('object!'), str('name!'), ts('last_used_at!')],
  objects: [verification('nonce', 'message')],
};
const EXTERNAL_ACCOUNT: EntitySpec = {
  fields: [
    str('id!'),
    str('object!'),
    str('provider!'),
    str('identification_id!'),
    str('provider_user_id!'),
    str('approved_scopes!'),
    str('email_address!'),
    bool('email_address_verified?'),
    str('first_name!'),
    str('last_name!'),
    str('avatar_url'),
    str('image_url?'),
    str('username?'),
    str('phone_number?'),
    obj('public_metadata!'),
    str('label?'),
    ts('created_at!'),
    ts('updated_at!'),
  ],
  objects: [verification('external_verification_redirect_url', 'error')],
};
const connectionFields = [
  str('domain'),
  arr('domains'),
  bool('active!'),
  str('provider!'),
  bool('sync_user_attributes!'),
  bool('allow_subdomains'),
  bool('allow_idp_initiated'),
  bool('disable_additional_identifications'),
  ts('created_at!'),
  ts('updated_at!'),
];
const SAML_ACCOUNT: EntitySpec = {
  fields: [
    str('id!'),
    str('object!'),
    str('provider!'),
    bool('active!'),
    str('email_address!'),
    str('first_name?'),
    str('last_name?'),
    str('provider_user_id?'),
    ts('last_authenticated_at?'),
    obj('public_metadata'),
  ],
  objects: [verification('external_verification_redirect_url', 'error'), nested('saml_connection?', [str('id!'), str('name!'), ...connectionFields])],
};
const ENTERPRISE_ACCOUNT: EntitySpec = {
  fields: [
    str('id!'),
    str('object!'),
    str('protocol'),
    str('provider!'),
    bool('active!'),
    str('email_address!'),
    str('first_name?'),
    str('last_name?'),
    str('provider_user_id?'),
    str('enterprise_connection_id?'),
    obj('public_metadata'),
    ts('last_authenticated_at?'),
  ],
  objects: [
    verification('external_verification_redirect_url', 'error'),
    nested('enterprise_connection?', [str('id!'), str('protocol!'), str('name!'), str('logo_public_url!?'), ...connectionFields]),
  ],
};
/** The Organization object (Clerk's `Organization` schema). */
const ORGANIZATION_FIELDS: FieldSpec[] = [
  str('object!'),
  str('id!'),
  str('name!'),
  str('slug!'),
  str('image_url'),
  bool('has_image!'),
  int('members_count'),
  bool('missing_member_with_elevated_permissions'),
  int('pending_invitations_count'),
  int('max_allowed_memberships!'),
  bool('admin_delete_enabled!'),
  obj('public_metadata!'),
  obj('private_metadata'),
  str('created_by'),
  ts('created_at!'),
  ts('updated_at!'),
  ts('last_active_at'),
  str('role_set_key?'),
];

/** A member's public data in a membership (`OrganizationMembershipPublicUserData`). */
const PUBLIC_USER_DATA_FIELDS: FieldSpec[] = [
  str('user_id!'),
  str('first_name!?'),
  str('last_name!?'),
  str('profile_image_url!?'),
  str('image_url!'),
  bool('has_image!'),
  str('identifier?'),
  str('username?'),
  bool('banned'),
  bool('deprovisioned'),
];

const ORGANIZATION_MEMBERSHIP: EntitySpec = {
  fields: [str('id!'), str('object!'), str('role!'), str('role_name'), arr('permissions!'), obj('public_metadata!'), obj('private_metadata'), ts('created_at!'), ts('updated_at!')],
  objects: [
    nested('organization!', ORGANIZATION_FIELDS),
    nested('public_user_data', PUBLIC_USER_DATA_FIELDS),
  ],
};

// --- the rest of the directory: organizations and what hangs off them (docs/clerk-api.md, "Organizations and other lists") ---

/** A verification of an organization domain (`OrganizationDomainVerification`). */
const domainVerification = (decl: string) =>
  nested(decl, [str('status!'), str('strategy!'), int('attempts?'), ts('expire_at?'), ts('verified_at?')]);
/** The public data of an organization carried by its invitations and domains. */
const PUBLIC_ORGANIZATION_DATA_FIELDS = [str('id!'), str('name!'), str('slug!'), str('image_url'), bool('has_image!')];
const INVITATION_FIELDS = [
  str('id!'),
  str('object!'),
  str('email_address!'),
  obj('public_metadata!'),
  bool('revoked'),
  str('status!'),
  str('url?'),
  ts('expires_at?'),
  ts('created_at!'),
  ts('updated_at!'),
];

const ORGANIZATION: EntitySpec = { fields: ORGANIZATION_FIELDS, objects: [] };
/**
 * A membership from the instance-wide list. Its `organization` is the whole Organization, which the
 * `organizations` table holds: only its id is a column (`organization_id`).
 */
const INSTANCE_ORGANIZATION_MEMBERSHIP: EntitySpec = {
  fields: ORGANIZATION_MEMBERSHIP.fields,
  objects: [{ ...nested('organization!', [str('id!')]), reference: true }, nested('public_user_data', PUBLIC_USER_DATA_FIELDS)],
};
const ORGANIZATION_INVITATION: EntitySpec = {
  fields: [
    str('id!'),
    str('object!'),
    str('email_address!'),
    str('role!'),
    str('role_name!'),
    str('organization_id'),
    str('inviter_id!?'),
    str('status'),
    obj('public_metadata!'),
    obj('private_metadata'),
    str('url!?'),
    ts('expires_at!?'),
    ts('created_at!'),
    ts('updated_at!'),
  ],
  objects: [
    nested('public_inviter_data?', [str('user_id!'), str('first_name?'), str('last_name?'), str('image_url'), bool('has_image'), str('identifier')]),
    nested('public_organization_data?', PUBLIC_ORGANIZATION_DATA_FIELDS),
  ],
};
const ORGANIZATION_DOMAIN: EntitySpec = {
  fields: [
    str('id!'),
    str('object!'),
    str('organization_id!'),
    str('name!'),
    str('enrollment_mode!'),
    str('affiliation_email_address?'),
    int('total_pending_invitations'),
    int('total_pending_suggestions'),
    ts('created_at!'),
    ts('updated_at!'),
  ],
  objects: [
    domainVerification('affiliation_verification?'),
    domainVerification('ownership_verification?'),
    domainVerification('verification?'),
    nested('public_organization_data?', PUBLIC_ORGANIZATION_DATA_FIELDS),
  ],
};
const INVITATION: EntitySpec = { fields: INVITATION_FIELDS, objects: [] };
const WAITLIST_ENTRY: EntitySpec = {
  fields: [str('id!'), str('object!'), str('email_address!'), str('status!'), bool('is_locked'), ts('created_at!'), ts('updated_at!')],
  objects: [nested('invitation?', INVITATION_FIELDS)],
};

/** The nine table names, in output order. */
export const TABLE_NAMES = [
  'users',
  'user_email_addresses',
  'user_phone_numbers',
  'user_web3_wallets',
  'user_passkeys',
  'user_external_accounts',
  'user_saml_accounts',
  'user_enterprise_accounts',
  'user_organization_memberships',
] as const;
/** The user tables, and `user_deletions` (written by runs that detect deletions). */
export type UserTableName = (typeof TABLE_NAMES)[number] | 'user_deletions';

/** The resources besides users an export can read (`--resources`), in output order; each is one table of the same name. */
export const RESOURCE_NAMES = [
  'organizations',
  'organization_memberships',
  'organization_invitations',
  'organization_domains',
  'invitations',
  'waitlist_entries',
] as const;
export type ResourceName = (typeof RESOURCE_NAMES)[number];
/** Every value `--resources` takes: the users, each resource besides them, or all. */
export const RESOURCE_CHOICES = ['users', ...RESOURCE_NAMES, 'all'] as const;
export type ResourceChoice = (typeof RESOURCE_CHOICES)[number];

/** Every table: the user tables, the resource tables and `deletions` (records of a resource that disappeared). */
export type TableName = UserTableName | ResourceName | 'deletions';

/** A column of an output table. */
export interface Column {
  name: string;
  type: ColumnType;
  nullable: boolean;
  description: string;
}

/** An output table: its columns, in order, and where its rows come from. */
export interface TableSchema {
  name: TableName;
  description: string;
  /** The User array this child table flattens; undefined for `users`. */
  sourceArray?: string;
  /** The element type, for child tables (and USER for `users`); none for `user_deletions`. */
  entity?: EntitySpec;
  /**
   * Resource tables: columns taken from a nested object and put first, as join keys
   * (`organization_memberships.user_id` = `public_user_data.user_id`).
   */
  keys?: Array<{ name: string; object: string; field: string }>;
  columns: Column[];
}

/** Bump when a column is added, removed, renamed or retyped. Recorded in every manifest. */
export const SCHEMA_VERSION = 1;

const META_COLUMNS: Column[] = [
  { name: '_run_id', type: 'string', nullable: false, description: 'Id of the run that wrote the row.' },
  { name: '_extracted_at', type: 'timestamp', nullable: false, description: 'When the run started (UTC); the snapshot time.' },
];
const EXTRA_COLUMN: Column = {
  name: '_extra',
  type: 'json',
  nullable: true,
  description: 'JSON object of source fields the schema does not know (dotted path → value); null when there are none.',
};

function entityColumns(entity: EntitySpec): Column[] {
  const cols: Column[] = [];
  for (const f of entity.fields) {
    cols.push({ name: f.key, type: f.type, nullable: f.nullable || !f.required, description: describe(f) });
  }
  const taken = new Set(cols.map((c) => c.name));
  for (const o of entity.objects) {
    if (o.reference) continue;
    for (const f of o.fields) {
      cols.push({ name: nestedColumnName(o.key, f.key, taken), type: f.type, nullable: true, description: `${o.key}.${f.key}` + (f.type === 'json' ? ' (JSON text)' : '') });
    }
  }
  return cols;
}

/**
 * `<object>_<field>`; when that name is already a field of the element (EnterpriseAccount has both
 * `enterprise_connection_id` and `enterprise_connection.id`), `<object>__<field>` so neither is lost.
 */
export function nestedColumnName(objectKey: string, fieldKey: string, taken: Set<string>): string {
  const name = `${objectKey}_${fieldKey}`;
  return taken.has(name) ? `${objectKey}__${fieldKey}` : name;
}

function describe(f: FieldSpec): string {
  if (f.type === 'json') return f.kind === 'array' ? 'JSON array text' : 'JSON object text';
  if (f.type === 'timestamp') return 'UTC timestamp (Clerk Unix ms)';
  return '';
}

function childTable(name: TableName, sourceArray: string, entity: EntitySpec, description: string): TableSchema {
  return {
    name,
    description,
    sourceArray,
    entity,
    columns: [
      { name: 'user_id', type: 'string', nullable: false, description: 'The parent user id (users.id).' },
      { name: 'position', type: 'int64', nullable: false, description: `0-based index in the user's ${sourceArray} array.` },
      ...entityColumns(entity),
      EXTRA_COLUMN,
      ...META_COLUMNS,
    ],
  };
}

function usersTable(): TableSchema {
  const columns: Column[] = [];
  for (const f of USER.fields) {
    // The arrays become child tables; everything else is a column.
    if (f.kind === 'array') continue;
    columns.push({ name: f.key, type: f.type, nullable: f.nullable || !f.required, description: describe(f) });
    if (f.key === 'primary_web3_wallet_id') {
      columns.push(
        { name: 'primary_email_address', type: 'string', nullable: true, description: 'email_addresses[id = primary_email_address_id].email_address' },
        { name: 'primary_phone_number', type: 'string', nullable: true, description: 'phone_numbers[id = primary_phone_number_id].phone_number' },
        { name: 'primary_web3_wallet', type: 'string', nullable: true, description: 'web3_wallets[id = primary_web3_wallet_id].web3_wallet' },
      );
    }
  }
  for (const o of USER.objects) {
    for (const f of o.fields) columns.push({ name: `${o.key}_${f.key}`, type: f.type, nullable: true, description: `${o.key}.${f.key}` });
  }
  columns.push(EXTRA_COLUMN, ...META_COLUMNS);
  return { name: 'users', description: 'One row per user.', entity: USER, columns };
}

/** Every table, in {@link TABLE_NAMES} order. */
export const TABLES: readonly TableSchema[] = [
  usersTable(),
  childTable('user_email_addresses', 'email_addresses', EMAIL_ADDRESS, 'One row per email address of a user.'),
  childTable('user_phone_numbers', 'phone_numbers', PHONE_NUMBER, 'One row per phone number of a user.'),
  childTable('user_web3_wallets', 'web3_wallets', WEB3_WALLET, 'One row per web3 wallet of a user.'),
  childTable('user_passkeys', 'passkeys', PASSKEY, 'One row per passkey of a user.'),
  childTable('user_external_accounts', 'external_accounts', EXTERNAL_ACCOUNT, 'One row per OAuth (external) account of a user.'),
  childTable('user_saml_accounts', 'saml_accounts', SAML_ACCOUNT, 'One row per SAML account of a user.'),
  childTable('user_enterprise_accounts', 'enterprise_accounts', ENTERPRISE_ACCOUNT, 'One row per enterprise account of a user.'),
  childTable('user_organization_memberships', 'organization_memberships', ORGANIZATION_MEMBERSHIP, 'One row per organization membership of a user.'),
];

/**
 * `user_deletions`: users that a previous full run saw and this run did not (Clerk's list cannot show
 * deleted users). Written only by runs that detect deletions: every full run with a state, and
 * incremental runs with --detect-deletions.
 */
export const USER_DELETIONS: TableSchema = {
  name: 'user_deletions',
  description: 'One row per user that disappeared since the previous full run (deleted in Clerk).',
  columns: [
    { name: 'user_id', type: 'string', nullable: false, description: 'The id of the deleted user.' },
    { name: 'detected_at', type: 'timestamp', nullable: false, description: 'Start of the run that noticed the deletion (UTC).' },
    { name: '_run_id', type: 'string', nullable: false, description: 'Id of the run that wrote the row.' },
  ],
};

/** The tables of a users export: the nine user tables, then user_deletions. */
export const USER_TABLES: readonly TableSchema[] = [...TABLES, USER_DELETIONS];

function resourceTable(name: ResourceName, entity: EntitySpec, description: string, keys: TableSchema['keys'] = []): TableSchema {
  const keyColumns: Column[] = keys.map((k) => ({ name: k.name, type: 'string', nullable: true, description: `${k.object}.${k.field} (join key)` }));
  return { name, description, entity, keys, columns: [...keyColumns, ...entityColumns(entity), EXTRA_COLUMN, ...META_COLUMNS] };
}

/** One table per resource besides users, in {@link RESOURCE_NAMES} order. */
export const RESOURCE_TABLES: readonly TableSchema[] = [
  resourceTable('organizations', ORGANIZATION, 'One row per organization.'),
  resourceTable('organization_memberships', INSTANCE_ORGANIZATION_MEMBERSHIP, 'One row per organization membership (a user in an organization, with a role).', [
    { name: 'organization_id', object: 'organization', field: 'id' },
    { name: 'user_id', object: 'public_user_data', field: 'user_id' },
  ]),
  resourceTable('organization_invitations', ORGANIZATION_INVITATION, 'One row per invitation to join an organization.'),
  resourceTable('organization_domains', ORGANIZATION_DOMAIN, 'One row per domain of an organization.'),
  resourceTable('invitations', INVITATION, 'One row per invitation to sign up to the instance.'),
  resourceTable('waitlist_entries', WAITLIST_ENTRY, 'One row per waitlist entry.'),
];

/**
 * `deletions`: records of a resource besides users that a previous run saw and this one did not.
 * One table for every resource (with a `resource` column) rather than one per resource: a warehouse
 * applies them with one statement, and a run does not add six almost always empty tables.
 */
export const DELETIONS: TableSchema = {
  name: 'deletions',
  description: 'One row per organization, membership, invitation, domain or waitlist entry that disappeared since the previous run (deleted in Clerk).',
  columns: [
    { name: 'resource', type: 'string', nullable: false, description: 'The resource (and table) of the deleted record: organizations, organization_memberships, ….' },
    { name: 'id', type: 'string', nullable: false, description: 'The id of the deleted record.' },
    { name: 'detected_at', type: 'timestamp', nullable: false, description: 'Start of the run that noticed the deletion (UTC).' },
    { name: '_run_id', type: 'string', nullable: false, description: 'Id of the run that wrote the row.' },
  ],
};

/** Every table this tool writes: the user tables, the resource tables, then deletions. */
export const ALL_TABLES: readonly TableSchema[] = [...USER_TABLES, ...RESOURCE_TABLES, DELETIONS];

export function resourceTableOf(name: ResourceName): TableSchema {
  return RESOURCE_TABLES.find((t) => t.name === name)!;
}

export const TABLE_BY_NAME: ReadonlyMap<TableName, TableSchema> = new Map(ALL_TABLES.map((t) => [t.name, t]));

export function tableSchema(name: TableName): TableSchema {
  return TABLE_BY_NAME.get(name)!;
}
