import { afterEach, describe, expect, it } from 'vitest';
import { ClerkClient } from '../../src/clerk/client.js';
import { TokenBucket } from '../../src/clerk/rate-limiter.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { ClerkListSource } from '../../src/extract/clerk-list-source.js';
import { silentLogger } from '../../src/log.js';
import { RESOURCE_NAMES, type ResourceName } from '../../src/model/schema.js';

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const clientOf = (e: RunningEmulator): ClerkClient => new ClerkClient({ apiUrl: e.url, secretKey: e.secretKey, limiter: new TokenBucket({ requests: 100_000, windowMs: 1000 }) });

async function readIds(source: ClerkListSource): Promise<string[]> {
  const ids: string[] = [];
  for await (const batch of source.read({ signal: new AbortController().signal, log: silentLogger })) for (const r of batch) ids.push(r.value.id as string);
  return ids;
}

/** The ids the emulator holds for a resource. */
function storeIds(e: RunningEmulator, resource: ResourceName): string[] {
  const o = e.orgs;
  switch (resource) {
    case 'organizations':
      return o.organizations().map((x) => x.id);
    case 'organization_memberships':
      return o.memberships().map((x) => x.id);
    case 'organization_invitations':
      return o.orgInvitationList().map((x) => x.id);
    case 'organization_domains':
      return o.domainList().map((x) => x.id);
    case 'invitations':
      return o.invitationList().map((x) => x.id);
    case 'waitlist_entries':
      return o.waitlistList().map((x) => x.id);
  }
}

describe('ClerkListSource', () => {
  it('reads every record of every list exactly once, small pages overlapping, total_count reconciled', async () => {
    emulator = await startEmulator({ users: 200, organizations: 60, seed: 3 });
    const client = clientOf(emulator);
    for (const resource of RESOURCE_NAMES) {
      const source = new ClerkListSource({ client, resource, pageSize: 7, overlap: 2 });
      const ids = await readIds(source);
      const expected = storeIds(emulator, resource);
      expect(expected.length, resource).toBeGreaterThan(7);
      expect(new Set(ids).size, resource).toBe(ids.length);
      expect([...ids].sort(), resource).toEqual([...expected].sort());
      expect(source.walk.read, resource).toBe(expected.length);
      expect(source.walk.total_count_at_start, resource).toBe(expected.length);
      expect(source.walk.total_count_at_end, resource).toBe(expected.length);
      expect(source.walk.pages_reread, resource).toBe(0);
    }
  });

  it('loses no organization that exists for the whole walk while others are deleted and created between pages', async () => {
    let pages = 0;
    const deleted: string[] = [];
    let created = 0;
    emulator = await startEmulator({
      users: 200,
      organizations: 80,
      seed: 4,
      onRequest: ({ method, path, query, orgs }) => {
        if (method !== 'GET' || path !== '/v1/organizations' || query.get('limit') === '1') return;
        pages++;
        if (pages < 2) return;
        // Between pages: delete the 5 oldest remaining organizations (more than the overlap of 2, so
        // the next page no longer overlaps the previous one) and add 2 new ones at the end.
        const oldest = orgs.organizations().sort((a, b) => a.created_at - b.created_at).slice(0, 5);
        for (const o of oldest) {
          orgs.deleteOrganization(o.id);
          deleted.push(o.id);
        }
        for (let i = 0; i < 2; i++) {
          const now = Date.now() + created;
          const id = `org_created_${created++}`;
          orgs.putOrganization({ ...oldest[0]!, id, slug: `created-${id}`, created_at: now, updated_at: now });
        }
      },
    });
    const before = emulator.orgs.organizations().map((o) => o.id);
    const source = new ClerkListSource({ client: clientOf(emulator), resource: 'organizations', pageSize: 10, overlap: 2 });
    const ids = await readIds(source);
    const survivors = before.filter((id) => !deleted.includes(id));
    expect(deleted.length).toBeGreaterThan(10);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of survivors) expect(ids, id).toContain(id);
    expect(source.walk.pages_reread).toBeGreaterThan(0);
    expect(source.walk.total_count_at_start).toBe(before.length);
    expect(source.walk.total_count_at_end).toBe(emulator.orgs.organizations().length);
    expect(source.walk.total_count_at_end).not.toBe(source.walk.read);
  });
});
