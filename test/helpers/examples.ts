import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClerkUser } from '../../src/clerk/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** ../shared/clerk next to the repository (CI lays shared/ beside the clone). */
export const SHARED_CLERK = path.resolve(here, '../../../shared/clerk');

/** The three example users of shared/clerk/users-examples.json, in file order. */
export function exampleUsers(): ClerkUser[] {
  const doc = JSON.parse(readFileSync(path.join(SHARED_CLERK, 'users-examples.json'), 'utf8')) as { examples: Array<{ user: ClerkUser }> };
  return doc.examples.map((e) => e.user);
}
