/** The local Clerk Backend API emulator: server, user store and deterministic user generator. */
export { startEmulator, type EmulatorOptions, type EmulatorStats, type RunningEmulator, type RouteContext, type Reply } from './server.js';
export { generateUsers, generateUserStream, DEFAULT_START_MS, type GenerateOptions } from './generate.js';
export { UserStore, ORDER_FIELDS, normalizeIdentifier, type OrderField, type UserRow, type UserDetails, type UserSecrets, type IdentifierKind } from './store.js';
export { PASSWORD_HASHERS as EMULATOR_PASSWORD_HASHERS, MAX_BODY_BYTES, type WriteEnv } from './user-write.js';
export type { Fault, FaultOptions } from './faults.js';
export { ApiError } from './api-error.js';
