/** The local Clerk Backend API emulator: server, user and organization stores, deterministic generators. */
export { startEmulator, type EmulatorOptions, type EmulatorStats, type RunningEmulator, type RouteContext, type Reply } from './server.js';
export { generateUsers, generateUserStream, DEFAULT_START_MS, type GenerateOptions } from './generate.js';
export { generateOrganizations, defaultRoles, type OrgGenerateOptions } from './org-generate.js';
export { OrgStore, type OrgRecord, type MembershipRecord, type OrgInvitationRecord, type DomainRecord, type Invitation, type WaitlistEntry, type Role } from './org-store.js';
export { UserStore, ORDER_FIELDS, normalizeIdentifier, type OrderField, type UserRow, type UserDetails, type UserSecrets, type IdentifierKind } from './store.js';
export { PASSWORD_HASHERS as EMULATOR_PASSWORD_HASHERS, MAX_BODY_BYTES, type WriteEnv } from './user-write.js';
export type { Fault, FaultOptions } from './faults.js';
export { ApiError } from './api-error.js';
