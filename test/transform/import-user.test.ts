import { describe, expect, it } from 'vitest';
import { fromClerkUser, fromDashboardRow, toCreateBody, toUpdateBody } from '../../src/transform/import-user.js';
import { exampleUsers } from '../helpers/examples.js';

const BCRYPT = '$2b$10$U4C0ZY8OG8y41F9LusfKyu3HRMBL0rCZcKBVsXhgr.n8Ou6FPhzO2';

describe('mapping a Clerk User to the create-user body', () => {
  it('keeps identifiers with their verification, names, metadata, times and settings; lists what Clerk cannot take', () => {
    const src = structuredClone(exampleUsers()[1]!) as Record<string, unknown>;
    src.email_addresses = [
      { id: 'idn_a', email_address: 'second@example.com', verification: { status: 'unverified', strategy: 'email_code' } },
      { id: 'idn_b', email_address: 'primary@example.com', verification: { status: 'verified', strategy: 'admin' } },
    ];
    src.primary_email_address_id = 'idn_b';
    src.phone_numbers = [{ id: 'idn_p', phone_number: '+14155550100', verification: { status: 'verified' }, reserved_for_second_factor: true }];
    src.primary_phone_number_id = 'idn_p';
    src.private_metadata = { tier: 'gold' };
    src.external_accounts = [{ provider: 'oauth_google' }];
    src.locale = 'fr-FR';
    const { user, problems } = fromClerkUser(src);
    expect(problems).toEqual([]);
    const { body, problems: p2 } = toCreateBody(user!);
    expect(p2).toEqual([]);
    expect(body).toEqual({
      external_id: 'user_2g7np7Hrk0SN6kj5EDMLDaKNL0S', // no external_id in the source: the source id
      email_address: ['primary@example.com', 'second@example.com'], // primary first
      email_address_identification_status: ['verified', 'reserved'],
      phone_number: ['+14155550100'],
      phone_number_identification_status: ['verified'],
      username: 'johndoe',
      first_name: 'John',
      last_name: 'Doe Updated',
      locale: 'fr-FR',
      public_metadata: { department: 'engineering' },
      private_metadata: { tier: 'gold' },
      created_at: '2024-05-28T08:00:00.000Z',
      legal_accepted_at: '2024-05-28T08:00:00.000Z',
      skip_legal_checks: true,
      skip_password_requirement: true,
      delete_self_enabled: true,
      create_organization_enabled: true,
      skip_user_requirement: true,
    });
    expect(user!.notImported.map((n) => n.field)).toEqual(['phone_numbers[0].reserved_for_second_factor', 'external_accounts', 'password', 'totp_secret', 'image_url']);
  });

  it('external_id modes: source (default), id, keep', () => {
    const src = { ...(exampleUsers()[2] as Record<string, unknown>) }; // external_id 567772
    const { user } = fromClerkUser(src);
    expect(toCreateBody(user!).body.external_id).toBe('567772');
    expect(toCreateBody(user!, { externalId: 'id' }).body.external_id).toBe('user_29w83sxmDNGwOuEthce5gg56FcC');
    const noExt = fromClerkUser({ ...src, external_id: null }).user!;
    expect(toCreateBody(noExt, { externalId: 'keep' }).body.external_id).toBeUndefined();
  });
});

describe('mapping a dashboard CSV row', () => {
  const row = {
    id: 'user_1',
    first_name: 'Zoë',
    last_name: '',
    username: 'zoe',
    primary_email_address: 'zoe@test.com',
    primary_phone_number: '',
    verified_email_addresses: 'zoe@test.com|zoe2@test.com',
    unverified_email_addresses: 'old@test.com',
    verified_phone_numbers: '+12125550100',
    unverified_phone_numbers: '+12125550101, +12125550102',
    totp_secret: 'JBSWY3DPEHPK3PXP',
    password_digest: BCRYPT,
    password_hasher: 'bcrypt',
  };

  it('keeps the password digest, hasher and TOTP secret; primary first; unverified becomes reserved', () => {
    const { body, problems } = toCreateBody(fromDashboardRow(row).user!);
    expect(problems).toEqual([]);
    expect(body).toMatchObject({
      external_id: 'user_1',
      email_address: ['zoe@test.com', 'zoe2@test.com', 'old@test.com'],
      email_address_identification_status: ['verified', 'verified', 'reserved'],
      phone_number: ['+12125550100', '+12125550101', '+12125550102'],
      phone_number_identification_status: ['verified', 'reserved', 'reserved'],
      password_digest: BCRYPT,
      password_hasher: 'bcrypt',
      totp_secret: 'JBSWY3DPEHPK3PXP',
      first_name: 'Zoë',
    });
    expect(body).not.toHaveProperty('last_name');
    expect(body).not.toHaveProperty('skip_password_requirement');
  });

  it('names the field of every problem: unknown hasher, bad digest, bad email, bad phone, no identifier, bad TOTP', () => {
    const problems = (r: Record<string, string>) => toCreateBody(fromDashboardRow({ ...row, ...r }).user!).problems;
    expect(problems({ password_hasher: 'hmac_sha256_utf16_b64' })[0]).toMatchObject({ field: 'password_hasher', problem: expect.stringContaining('unknown hasher "hmac_sha256_utf16_b64"') });
    expect(problems({ password_digest: 'abc' })[0]).toMatchObject({ field: 'password_digest', problem: expect.stringContaining('not a bcrypt digest') });
    expect(problems({ password_hasher: '' })[0]).toMatchObject({ field: 'password_hasher', problem: 'a password digest needs its hasher' });
    expect(problems({ verified_email_addresses: 'not-an-email' })[0]).toMatchObject({ field: 'email_address[1]' });
    expect(problems({ verified_phone_numbers: '555-0100' })[0]).toMatchObject({ field: 'phone_number[0]' });
    expect(problems({ totp_secret: 'not base32!' })[0]).toMatchObject({ field: 'totp_secret' });
    const none = { primary_email_address: '', verified_email_addresses: '', unverified_email_addresses: '', verified_phone_numbers: '', unverified_phone_numbers: '', username: '' };
    expect(problems(none)[0]).toMatchObject({ field: 'email_address', problem: expect.stringContaining('no identifier') });
    expect(fromDashboardRow({ ...row, id: '' }).problems).toEqual([{ field: 'id', problem: 'required: the Clerk user id of the row' }]);
  });

  it('the update body carries no metadata (API 2026-05-12 rejects it on PATCH /v1/users)', () => {
    const { body } = toCreateBody(fromDashboardRow(row).user!);
    const update = toUpdateBody({ ...body, public_metadata: { a: 1 } });
    expect(update).not.toHaveProperty('public_metadata');
    expect(update).not.toHaveProperty('email_address');
    expect(update).toMatchObject({ external_id: 'user_1', password_digest: BCRYPT, totp_secret: 'JBSWY3DPEHPK3PXP' });
  });
});
