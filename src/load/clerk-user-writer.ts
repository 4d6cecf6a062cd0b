import type { ClerkClient } from '../clerk/client.js';
import { EtlError, isEtlError } from '../errors.js';
import { isPlainObject } from '../model/clerk-types.js';
import type { Logger } from '../log.js';
import { toUpdateBody } from '../transform/import-user.js';
import { findThisRecord, type FoundUser, type RecordLookup } from './import-identity.js';

/**
 * Which source record a Clerk user already belongs to, as the import's journal says. The writer asks
 * it before taking a user it found as "this record" (after an ambiguous create or a conflict), and
 * claims the user for the record when it does.
 */
export interface ClerkUserOwners {
  ownerOf(clerkId: string): string | undefined;
  claim(clerkId: string, sourceId: string): void;
}

/** What one create came to. Anything else (a refused create) is thrown as the client's EtlError. */
export type CreateOutcome =
  /** Created by this request, or found after an ambiguous answer (`recovered`). */
  | { kind: 'created'; clerkId: string; recovered: boolean }
  /** Clerk answered `form_identifier_exists`: an identifier of the body is taken. */
  | { kind: 'identifier_exists'; error: EtlError };

/**
 * The load stage of an import: it writes users into Clerk (POST /v1/users, and PATCH + PUT metadata
 * for `--on-conflict update`) and finds out, after an ambiguous answer, whether a create happened.
 *
 * Never a duplicate: a create that fails ambiguously (timeout, reset, 5xx) is followed by a lookup
 * before anything is sent again (docs/clerk-api.md, "Errors"). The lookup runs inside the client's
 * one retry loop (its `onAmbiguous` hook), so a resend after a lookup and a resend after a 429 share
 * the same attempts and backoff: no create is retried by two nested loops.
 */
export class ClerkUserWriter {
  constructor(
    private readonly client: ClerkClient,
    private readonly owners: ClerkUserOwners,
    private readonly signal: AbortSignal,
    private readonly log: Logger,
  ) {}

  /** The Clerk user that provably is this record and that no other record was mapped to, if any. */
  async lookUp(body: Record<string, unknown>, sourceId: string, param?: string): Promise<RecordLookup> {
    const found = await findThisRecord(this.client, body, this.signal, param);
    if (!found.same) return found;
    const owner = this.owners.ownerOf(found.same.id);
    if (owner !== undefined && owner !== sourceId) return { other: found.same, why: `the journal maps it to source record ${owner}` };
    this.owners.claim(found.same.id, sourceId);
    return found;
  }

  /** Create the user; an ambiguous failure is looked up, and sent again only when it did not happen. */
  async create(body: Record<string, unknown>, sourceId: string): Promise<CreateOutcome> {
    const policy = this.client.retryPolicy;
    let found: FoundUser | undefined;
    try {
      const res = await this.client.request<unknown>('POST', '/v1/users', {
        body,
        signal: this.signal,
        // The create may have happened: the client sends it again only when this says it did not.
        onAmbiguous: async (attempt) => {
          found = (await this.lookUp(body, sourceId)).same;
          if (found) return 'applied';
          if (attempt < policy.maxAttempts) this.log.warn('create was ambiguous; the user does not exist, sending again', { source_id: sourceId, attempt, max_attempts: policy.maxAttempts });
          return 'not-applied';
        },
      });
      const id = isPlainObject(res.data) ? res.data.id : undefined;
      if (typeof id !== 'string') throw new EtlError('CLERK_BAD_RESPONSE', `POST /v1/users answered 2xx without a user id (source record ${sourceId}); the user may exist: re-run to look it up.`);
      return { kind: 'created', clerkId: id, recovered: false };
    } catch (err) {
      if (found) return { kind: 'created', clerkId: found.id, recovered: true };
      if (this.signal.aborted) throw err;
      if (isEtlError(err) && err.clerkCode === 'form_identifier_exists') return { kind: 'identifier_exists', error: err };
      throw err;
    }
  }

  /** `--on-conflict update`: the user's fields, then its three metadata objects (replaced, not merged). */
  async update(clerkId: string, body: Record<string, unknown>): Promise<void> {
    await this.client.request('PATCH', `/v1/users/${encodeURIComponent(clerkId)}`, { body: toUpdateBody(body), signal: this.signal });
    await this.client.request('PUT', `/v1/users/${encodeURIComponent(clerkId)}/metadata`, {
      body: { public_metadata: body.public_metadata ?? {}, private_metadata: body.private_metadata ?? {}, unsafe_metadata: body.unsafe_metadata ?? {} },
      signal: this.signal,
    });
  }
}

/**
 * Errors after which no request of the run can succeed: 401 (Clerk rejected the key) and 403 (the
 * key may not do this, or the instance is at its user quota: `user_quota_exceeded`).
 */
export function stopsTheRun(err: unknown): err is EtlError {
  return isEtlError(err, 'CLERK_AUTH') || (isEtlError(err) && err.status === 403);
}
