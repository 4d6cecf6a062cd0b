import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClerkUser } from '../../src/model/clerk-types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Clerk's example users, API spec and dashboard CSV sample, copied into the repository (its README says from where). */
export const CLERK_FIXTURES = path.resolve(here, '../fixtures/clerk');

/** The three example users of test/fixtures/clerk/users-examples.json, in file order. */
export function exampleUsers(): ClerkUser[] {
  const doc = JSON.parse(readFileSync(path.join(CLERK_FIXTURES, 'users-examples.json'), 'utf8')) as { examples: Array<{ user: ClerkUser }> };
  return doc.examples.map((e) => e.user);
}
