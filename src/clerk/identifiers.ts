/**
 * Identifiers that must be unique across a Clerk instance, named by their create-user parameter.
 * Clerk rejects a create or update that reuses one with 422 `form_identifier_exists`; for
 * `external_id` the spec says it "must be unique across your instance".
 */
export type IdentifierKind = 'email_address' | 'phone_number' | 'username' | 'web3_wallet' | 'external_id';

/**
 * The comparison form of an identifier, as Clerk compares them: email addresses and usernames
 * case-insensitively, Ethereum wallets (`0x…`) case-insensitively (hex digits; the mixed case is only
 * a checksum), the rest (E.164 phone numbers, Solana wallets, external ids) exactly.
 */
export function normalizeIdentifier(kind: IdentifierKind, value: string): string {
  switch (kind) {
    case 'email_address':
    case 'username':
      return value.toLowerCase();
    case 'web3_wallet':
      return /^0x/i.test(value) ? value.toLowerCase() : value;
    default:
      return value;
  }
}
