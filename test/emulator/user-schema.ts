/** The User schema check shared by the emulator tests (generated users, users created through the API). */

/**
 * The User schema of API version 2026-05-12, transcribed mechanically from Clerk's Backend API spec (docs/clerk-api.md, "The User object")
 * (itself generated from Clerk's OpenAPI spec): `name?` = not required, `| null` = nullable,
 * `A|B` = oneOf discriminated by the element's `object`, `enum:a,b` = string enum. `closed` = additionalProperties false.
 */
export const SCHEMA: Record<string, { closed: boolean; fields: string[] }> = {
  User: { closed: true, fields: [
    'id: string',
    'object: enum:user',
    'external_id: string | null',
    'primary_email_address_id: string | null',
    'primary_phone_number_id: string | null',
    'primary_web3_wallet_id: string | null',
    'username: string | null',
    'first_name: string | null',
    'last_name: string | null',
    'locale?: string | null',
    'profile_image_url?: string',
    'image_url?: string',
    'has_image: boolean',
    'public_metadata: object',
    'private_metadata?: object | null',
    'unsafe_metadata?: object',
    'email_addresses: EmailAddress[]',
    'phone_numbers: PhoneNumber[]',
    'web3_wallets: Web3Wallet[]',
    'passkeys: Passkey[]',
    'password_enabled: boolean',
    'two_factor_enabled: boolean',
    'totp_enabled: boolean',
    'backup_code_enabled: boolean',
    'mfa_enabled_at: integer | null',
    'mfa_disabled_at: integer | null',
    'password_last_updated_at?: integer | null',
    'external_accounts: ExternalAccountWithVerification[]',
    'saml_accounts: SAMLAccount[]',
    'enterprise_accounts: EnterpriseAccount[]',
    'organization_memberships?: OrganizationMembership[]',
    'last_sign_in_at: integer | null',
    'banned: boolean',
    'locked: boolean',
    'deprovisioned?: boolean',
    'lockout_expires_in_seconds: integer | null',
    'verification_attempts_remaining: integer | null',
    'updated_at: integer',
    'created_at: integer',
    'delete_self_enabled: boolean',
    'create_organization_enabled: boolean',
    'create_organizations_limit?: integer | null',
    'last_active_at: integer | null',
    'legal_accepted_at: integer | null',
    'bypass_client_trust?: boolean',
    'scim?: SCIMUserMetadata | null',
  ] },
  EmailAddress: { closed: true, fields: [
    'id?: string',
    'object: enum:email_address',
    'email_address: string',
    'reserved: boolean',
    'verification: verification_otp|verification_admin|verification_from_oauth|verification_ticket|verification_saml|verification_email_link|verification_scim | null',
    'linked_to: IdentificationLink[]',
    'matches_sso_connection?: boolean',
    'created_at: integer',
    'updated_at: integer',
  ] },
  PhoneNumber: { closed: true, fields: [
    'id?: string',
    'object: enum:phone_number',
    'phone_number: string',
    'reserved_for_second_factor?: boolean',
    'default_second_factor?: boolean',
    'reserved: boolean',
    'verification: verification_otp|verification_admin | null',
    'linked_to: IdentificationLink[]',
    'backup_codes?: string[] | null',
    'created_at: integer',
    'updated_at: integer',
  ] },
  Web3Wallet: { closed: true, fields: [
    'id?: string',
    'object: enum:web3_wallet',
    'web3_wallet: string',
    'verification: verification_web3|verification_admin | null',
    'created_at: integer',
    'updated_at: integer',
  ] },
  Passkey: { closed: true, fields: [
    'id?: string',
    'object: enum:passkey',
    'name: string',
    'last_used_at: integer',
    'verification: verification_passkey | null',
  ] },
  ExternalAccountWithVerification: { closed: false, fields: [
    'object: enum:external_account,facebook_account,google_account',
    'id: string',
    'provider: string',
    'identification_id: string',
    'provider_user_id: string',
    'approved_scopes: string',
    'email_address: string',
    'email_address_verified?: boolean | null',
    'first_name: string',
    'last_name: string',
    'avatar_url?: string',
    'image_url?: string | null',
    'username?: string | null',
    'phone_number?: string | null',
    'public_metadata: object',
    'label?: string | null',
    'created_at: integer',
    'updated_at: integer',
    'verification: verification_oauth|verification_google_one_tap | null',
  ] },
  SAMLAccount: { closed: true, fields: [
    'id: string',
    'object: enum:saml_account',
    'provider: string',
    'active: boolean',
    'email_address: string',
    'first_name?: string | null',
    'last_name?: string | null',
    'provider_user_id?: string | null',
    'last_authenticated_at?: integer | null',
    'public_metadata?: object',
    'verification: verification_saml|verification_ticket | null',
    'saml_connection?: SAMLAccountConnection | null',
  ] },
  SAMLAccountConnection: { closed: true, fields: [
    'id: string',
    'name: string',
    'domain?: string',
    'domains?: string[]',
    'active: boolean',
    'provider: string',
    'sync_user_attributes: boolean',
    'allow_subdomains?: boolean',
    'allow_idp_initiated?: boolean',
    'disable_additional_identifications?: boolean',
    'created_at: integer',
    'updated_at: integer',
  ] },
  EnterpriseAccount: { closed: true, fields: [
    'id: string',
    'object: enum:enterprise_account',
    'protocol?: enum:oauth,saml',
    'provider: string',
    'active: boolean',
    'email_address: string',
    'first_name?: string | null',
    'last_name?: string | null',
    'provider_user_id?: string | null',
    'enterprise_connection_id?: string | null',
    'public_metadata?: object',
    'verification: verification_ticket|verification_saml|verification_oauth | null',
    'enterprise_connection?: EnterpriseAccountConnection | null',
    'last_authenticated_at?: integer | null',
  ] },
  EnterpriseAccountConnection: { closed: true, fields: [
    'id: string',
    'protocol: string',
    'provider: string',
    'name: string',
    'logo_public_url: string | null',
    'domain?: string',
    'domains?: string[]',
    'active: boolean',
    'sync_user_attributes: boolean',
    'allow_subdomains: boolean',
    'allow_idp_initiated: boolean',
    'disable_additional_identifications: boolean',
    'created_at: integer',
    'updated_at: integer',
  ] },
  OrganizationMembership: { closed: false, fields: [
    'id: string',
    'object: enum:organization_membership',
    'role: string',
    'role_name?: string',
    'permissions: string[]',
    'public_metadata: object',
    'private_metadata?: object',
    'organization: Organization',
    'public_user_data?: OrganizationMembershipPublicUserData',
    'created_at: integer',
    'updated_at: integer',
  ] },
  Organization: { closed: false, fields: [
    'object: enum:organization',
    'id: string',
    'name: string',
    'slug: string',
    'image_url?: string',
    'has_image: boolean',
    'members_count?: integer',
    'missing_member_with_elevated_permissions?: boolean',
    'pending_invitations_count?: integer',
    'max_allowed_memberships: integer',
    'admin_delete_enabled: boolean',
    'public_metadata: object',
    'private_metadata?: object',
    'created_by?: string',
    'created_at: integer',
    'updated_at: integer',
    'last_active_at?: integer',
    'role_set_key?: string | null',
  ] },
  OrganizationMembershipPublicUserData: { closed: true, fields: [
    'user_id: string',
    'first_name: string | null',
    'last_name: string | null',
    'profile_image_url: string | null',
    'image_url: string',
    'has_image: boolean',
    'identifier?: string | null',
    'username?: string | null',
    'banned?: boolean',
    'deprovisioned?: boolean',
  ] },
  SCIMUserMetadata: { closed: true, fields: [
    'directory_id: string',
    'directory_enabled?: boolean',
    'external_id: string | null',
  ] },
  IdentificationLink: { closed: true, fields: [
    'type: string',
    'id: string',
  ] },
  verification_otp: { closed: true, fields: [
    'object?: enum:verification_otp',
    'status: enum:unverified,verified,failed,expired',
    'strategy: enum:phone_code,email_code,reset_password_email_code',
    'attempts: integer | null',
    'expire_at: integer | null',
    'channel?: string | null',
    'verified_at_client?: string | null',
  ] },
  verification_admin: { closed: true, fields: [
    'object?: enum:verification_admin',
    'status: enum:verified',
    'strategy: enum:admin',
    'attempts: integer | null',
    'expire_at: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_from_oauth: { closed: true, fields: [
    'object?: enum:verification_from_oauth',
    'status: enum:unverified,verified',
    'strategy: string',
    'error?: ClerkError | null',
    'expire_at: integer | null',
    'attempts: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_ticket: { closed: true, fields: [
    'object?: enum:verification_ticket',
    'status: enum:unverified,verified,expired',
    'strategy: enum:ticket',
    'attempts: integer | null',
    'expire_at: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_saml: { closed: true, fields: [
    'object?: enum:verification_saml',
    'status: enum:unverified,verified,failed,expired,transferable',
    'strategy: enum:saml',
    'external_verification_redirect_url?: string | null',
    'error?: ClerkError | null',
    'expire_at?: integer | null',
    'attempts: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_email_link: { closed: true, fields: [
    'object?: enum:verification_email_link',
    'status: enum:unverified,verified,failed,expired',
    'strategy: enum:email_link',
    'attempts: integer | null',
    'expire_at: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_scim: { closed: true, fields: [
    'object?: enum:verification_scim',
    'status: enum:verified',
    'strategy: enum:scim',
    'attempts: integer | null',
    'expire_at: integer | null',
  ] },
  verification_web3: { closed: true, fields: [
    'object?: enum:verification_web3',
    'status: enum:unverified,verified,failed,expired',
    'strategy: enum:web3_metamask_signature,web3_base_signature,web3_coinbase_wallet_signature,web3_okx_wallet_signature,web3_solana_signature',
    'nonce?: string | null',
    'message?: string | null',
    'attempts: integer | null',
    'expire_at: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_passkey: { closed: true, fields: [
    'object?: enum:verification_passkey',
    'status: enum:verified',
    'strategy: enum:passkey',
    'nonce?: enum:nonce',
    'message?: string | null',
    'attempts: integer | null',
    'expire_at: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_oauth: { closed: true, fields: [
    'object?: enum:verification_oauth',
    'status: enum:unverified,verified,failed,expired,transferable',
    'strategy: string',
    'external_verification_redirect_url?: string',
    'error?: ClerkError | null',
    'expire_at: integer',
    'attempts: integer | null',
    'verified_at_client?: string | null',
  ] },
  verification_google_one_tap: { closed: true, fields: [
    'object?: enum:verification_google_one_tap',
    'status: enum:unverified,verified',
    'strategy: enum:google_one_tap',
    'expire_at: integer | null',
    'attempts: integer | null',
    'verified_at_client?: string | null',
    'error?: ClerkError | null',
  ] },
  ClerkError: { closed: false, fields: [
    'message: string',
    'long_message: string',
    'code: string',
    'meta?: object',
  ] },

};

type Json = unknown;
const BUILTIN = new Set(['string', 'boolean', 'integer', 'object']);

/** Validate `value` against a schema type; returns the problems as `path: message`. */
export function check(value: Json, type: string, path: string, problems: string[]): void {
  if (type.endsWith('[]')) {
    if (!Array.isArray(value)) return void problems.push(`${path}: expected an array`);
    value.forEach((v, i) => check(v, type.slice(0, -2), `${path}[${i}]`, problems));
    return;
  }
  if (type.startsWith('enum:')) {
    if (typeof value !== 'string' || !type.slice(5).split(',').includes(value)) problems.push(`${path}: ${JSON.stringify(value)} not in ${type}`);
    return;
  }
  if (type.includes('|')) {
    // oneOf: every generated verification must carry its `object` discriminator.
    const obj = (value as { object?: unknown } | null)?.object;
    if (typeof obj !== 'string') return void problems.push(`${path}: oneOf element without an object discriminator`);
    if (!type.split('|').includes(obj)) return void problems.push(`${path}: ${obj} is not one of ${type}`);
    return check(value, obj, path, problems);
  }
  if (BUILTIN.has(type)) {
    const ok =
      type === 'integer' ? Number.isSafeInteger(value) : type === 'object' ? typeof value === 'object' && value !== null && !Array.isArray(value) : typeof value === type;
    if (!ok) problems.push(`${path}: expected ${type}, got ${JSON.stringify(value)}`);
    return;
  }
  const schema = SCHEMA[type];
  if (!schema) throw new Error(`unknown type ${type}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return void problems.push(`${path}: expected ${type} object`);
  const rec = value as Record<string, unknown>;
  const known = new Set<string>();
  for (const spec of schema.fields) {
    const m = /^([a-z0-9_]+)(\?)?: (.+?)( \| null)?$/.exec(spec)!;
    const [, name, optional, ftype, nullable] = m as unknown as [string, string, string | undefined, string, string | undefined];
    known.add(name);
    if (!(name in rec)) {
      if (!optional) problems.push(`${path}.${name}: required field missing`);
      continue;
    }
    const v = rec[name];
    if (v === null) {
      if (!nullable) problems.push(`${path}.${name}: null but not nullable`);
      continue;
    }
    check(v, ftype, `${path}.${name}`, problems);
  }
  if (schema.closed) for (const k of Object.keys(rec)) if (!known.has(k)) problems.push(`${path}.${k}: not in the ${type} schema`);
}

/** Problems of `value` as a `User` (empty when valid). */
export function userProblems(value: unknown, path = 'user'): string[] {
  const problems: string[] = [];
  check(value, 'User', path, problems);
  return problems;
}
