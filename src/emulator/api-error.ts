import { randomBytes } from 'node:crypto';
import type { ClerkErrorBody } from '../model/clerk-types.js';

/**
 * An error the emulator answers with, in Clerk's shape. Codes, statuses and messages follow
 * Clerk's public error catalogue (docs/clerk-api.md, "Errors"); `<param>` placeholders are filled in.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly longMessage: string;
  readonly meta: Record<string, unknown>;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, longMessage: string, meta: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.longMessage = longMessage;
    this.meta = meta;
    this.headers = headers;
  }

  toBody(): ClerkErrorBody {
    return {
      errors: [{ message: this.message, long_message: this.longMessage, code: this.code, meta: this.meta }],
      clerk_trace_id: randomBytes(16).toString('hex'),
    };
  }
}

const param = (name: string): Record<string, unknown> => ({ param_name: name });

/** Constructors for the catalogue entries the emulator uses (name in api-errors.json in brackets). */
export const apiErrors = {
  /** [InvalidAuthentication] no Authorization header. */
  authenticationInvalid: () => new ApiError(401, 'authentication_invalid', 'Invalid authentication', 'Unable to authenticate the request, you need to supply an active session'),
  /** [InvalidAuthorizationHeaderFormat] not `Bearer <key>`. */
  authorizationHeaderFormat: () => new ApiError(401, 'authorization_header_format_invalid', 'Invalid Authorization header format', "Invalid Authorization header format. Must be 'Bearer <YOUR_API_KEY>'"),
  /** [InvalidClerkSecretKey] a bearer key that is not the instance's (what api.clerk.com answers to a wrong sk_…). */
  clerkKeyInvalid: () =>
    new ApiError(401, 'clerk_key_invalid', 'The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.', 'The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.'),
  /** [InvalidAPIVersion] */
  apiVersionInvalid: (reason: string) => new ApiError(400, 'api_version_invalid', 'invalid API version', `Invalid Clerk API version: ${reason}`),
  /** [TooManyRequests] */
  tooManyRequests: (retryAfterSeconds: number) =>
    new ApiError(429, 'too_many_requests', 'Too many requests', 'Too many requests, retry later', {}, { 'Retry-After': String(retryAfterSeconds) }),
  /** [Unexpected] injected 5xx (same body for 500, 502 and 503). */
  internal: (status: number) =>
    new ApiError(status, 'internal_clerk_error', 'Oops, an unexpected error occurred', "There was an internal error on our servers. We've been notified and are working on fixing it."),
  /** [UserNotFound] */
  userNotFound: (id: string) => new ApiError(404, 'resource_not_found', 'not found', `No user was found with id ${id}`),
  /** [ResourceNotFound] unknown route. */
  routeNotFound: () => new ApiError(404, 'resource_not_found', 'not found', 'Resource not found'),
  /** [FormUnknownParameter] */
  paramUnknown: (name: string) => new ApiError(422, 'form_param_unknown', 'is unknown', `${name} is not a valid parameter for this request.`, param(name)),
  /** [FormDuplicateParameter] */
  paramDuplicate: (name: string) => new ApiError(422, 'form_param_duplicate', 'is duplicate', `${name} included multiple times. There should only be one.`, param(name)),
  /** [FormInvalidTypeParameter] */
  paramType: (name: string, type: string) => new ApiError(422, 'form_param_type_invalid', 'is invalid', `\`${name}\` must be a \`${type}\`.`, param(name)),
  /** [FormInvalidParameterValue] */
  paramValue: (name: string, value: string) => new ApiError(422, 'form_param_value_invalid', 'is invalid', `${value} does not match one of the allowed values for parameter ${name}`, param(name)),
  /** [FormInvalidParameterValueWithAllowed] */
  paramValueAllowed: (name: string, value: string, allowed: readonly string[]) =>
    new ApiError(422, 'form_param_value_invalid', 'is invalid', `${value} does not match the allowed values for parameter ${name}. Allowed values: ${allowed.join(', ')}`, param(name)),
  /** [FormParameterValueTooLarge] */
  paramTooLarge: (name: string, max: number) => new ApiError(422, 'form_param_value_too_large', 'Value too large', `The value of ${name} can't be greater than ${max}`, param(name)),
  /** [FormInvalidDate] */
  paramDate: (name: string) => new ApiError(422, 'form_param_invalid_date', 'Date values must be given in Unix millisecond timestamp format.', 'Date values must be given in Unix millisecond timestamp format.', param(name)),
  /** [FormParameterArraySizeExceeded] */
  arraySize: (name: string, max: number) => new ApiError(422, 'form_param_array_size_exceeded', 'exceeds maximum size', `${name} should not exceed ${max} items.`, param(name)),
  /** [FormMissingConditionalParameterOnExistence] */
  conditionalMissing: (missing: string, present: string) =>
    new ApiError(422, 'form_conditional_param_missing', 'is missing', `\`${missing}\` is required when \`${present}\` is present.`, param(missing)),
  /** [FormParameterNotAllowedIfAnotherParameterIsPresent] */
  notAllowedWith: (name: string, other: string) =>
    new ApiError(422, 'form_conditional_param_disallowed', 'is not allowed', `\`${name}\` isn't allowed when \`${other}\` is present.`, param(name)),
  /** [FormParameterNotAllowedConditionally] */
  notAllowedWhen: (name: string, left: string, right: string) =>
    new ApiError(422, 'form_conditional_param_disallowed', 'is not allowed', `\`${name}\` isn't allowed when \`${left}\` is ${right}.`, param(name)),
  /** [FormMissingResource] */
  resourceMissing: (name: string) => new ApiError(422, 'form_resource_not_found', 'is missing', `The resource associated with the supplied ${name} was not found.`, param(name)),

  // --- request bodies (POST/PATCH/PUT) ---------------------------------------------------------

  /** [InvalidRequestBody] the body is not JSON, or not a JSON object. */
  bodyInvalid: () => new ApiError(400, 'request_body_invalid', 'Request body invalid', 'The request body is invalid. Please consult the API documentation for more information.'),
  /** [UnsupportedContentType] */
  contentType: (actual: string) =>
    new ApiError(415, 'unsupported_content_type', 'Content-Type is unsupported', `Content-Type ${actual} is unsupported. You should use application/json instead.`),
  /** [RequestBodyTooLarge] */
  bodyTooLarge: (max: number) => new ApiError(413, 'request_body_too_large', 'Request body too large', `The request body exceeds the maximum allowed size of ${max} bytes.`),
  /**
   * [FailedToParseRequestBody] a body field of the wrong JSON type: the catalogue's error for a failed JSON
   * decode (code form_param_value_invalid). The catalogue gives it no meta; the emulator adds `param_name`.
   */
  bodyType: (name: string, received: string, expected: string) =>
    new ApiError(422, 'form_param_value_invalid', 'is invalid', `${name} is invalid. Received ${received}, must be of type ${expected}.`, param(name)),
  /** [FormNilParameter] null for a body field the spec does not mark nullable (catalogue messages are empty). */
  paramNil: (name: string) => new ApiError(422, 'form_param_nil', 'is invalid', `${name} cannot be null.`, param(name)),
  /** [FormInvalidEmailAddress] */
  emailFormat: (name: string) => new ApiError(422, 'form_param_format_invalid', 'is invalid', `${name} must be a valid email address.`, param(name)),
  /** [FormInvalidPhoneNumber] */
  phoneFormat: (name: string) => new ApiError(422, 'form_param_format_invalid', 'is invalid', `${name} must be a valid phone number according to E.164 international standard.`, param(name)),
  /** [FormInvalidWeb3WalletAddress] */
  web3Format: (name: string) => new ApiError(422, 'form_param_format_invalid', 'is invalid', `${name} must be a valid web3 wallet address.`, param(name)),
  /** [FormInvalidParameterFormatBCP47] */
  localeFormat: (name: string) => new ApiError(422, 'form_param_format_invalid', 'is invalid', `${name} must be a valid BCP-47 language tag.`, param(name)),
  /** [FormInvalidTime] */
  invalidTime: (name: string) =>
    new ApiError(422, 'form_param_invalid_time', 'invalid format', `${name} must contain a datetime specified in RFC3339 format (e.g. \`2022-10-20T10:00:27.645Z\`).`, param(name)),
  /** [FormParameterArrayLengthMismatch] */
  arrayLengthMismatch: (name: string, other: string) =>
    new ApiError(422, 'form_param_array_length_mismatch', 'length mismatch', `${name} must contain exactly one item for each item in ${other}.`, param(name)),
  /** [FormPasswordDigestInvalid] (catalogue messages are empty). */
  digestInvalid: (hasher: string) =>
    new ApiError(422, 'form_password_digest_invalid_code', 'is invalid', `The password digest does not have the format the ${hasher} hasher expects.`, param('password_digest')),
  /** [FormInvalidPasswordLengthTooShort] (catalogue messages are empty; Clerk's UI text). */
  passwordTooShort: (min: number) =>
    new ApiError(422, 'form_password_length_too_short', `Passwords must be ${min} characters or more.`, `Passwords must be ${min} characters or more.`, param('password')),
  /** [InvalidTOTPSecret] (the catalogue gives no meta; the emulator adds `param_name`). */
  totpInvalid: () => new ApiError(422, 'invalid_totp_secret_code', 'invalid TOTP secret', 'The TOTP secret is invalid, please provide a valid one base32 encoded', param('totp_secret')),
  /** [FormIdentifierExists] (catalogue messages are empty; Clerk's sign-up text). */
  identifierExists: (name: string) => {
    const what = IDENTIFIER_NAMES[name] ?? name;
    return new ApiError(422, 'form_identifier_exists', `That ${what} is taken. Please try another.`, `That ${what} is taken. Please try another.`, param(name));
  },
  /** [UserDataMissing] meta `param_names`: what is missing. */
  dataMissing: (names: readonly string[]) =>
    new ApiError(422, 'form_data_missing', 'missing data', `${JSON.stringify(names.join(', '))} data doesn't match user requirements set for this instance`, { param_names: [...names] }),
  /** [FormMissingParameter] a required body field is absent. */
  paramMissing: (name: string) => new ApiError(422, 'form_param_missing', 'is missing', `${name} must be included.`, param(name)),
  /** [FormInvalidParameterFormat] (catalogue messages are empty; the emulator says what is expected). */
  paramFormat: (name: string, expected: string) => new ApiError(422, 'form_param_format_invalid', 'is invalid', `${name} ${expected}.`, param(name)),
  /** [FormParameterMaxLengthExceeded] */
  paramMaxLength: (name: string, max: number) =>
    new ApiError(422, 'form_param_max_length_exceeded', 'exceeds maximum length', `${name} should not exceed ${max} characters.`, param(name)),

  // --- organizations and the other lists (docs/clerk-api.md, "Organizations and other lists") ---------

  /** [OrganizationNotFound] */
  organizationNotFound: () => new ApiError(404, 'resource_not_found', 'not found', 'Given organization not found.'),
  /** [ResourceNotFound] a membership (or other sub-resource) that does not exist: the catalogue has no specific entry. */
  resourceNotFound: () => new ApiError(404, 'resource_not_found', 'not found', 'Resource not found'),
  /** [OrganizationCreatorNotFound] `created_by` names no user. */
  creatorNotFound: (userId: string) => new ApiError(400, 'organization_creator_not_found', 'creator not found', `No users found with id ${userId}.`),
  /** [AlreadyAMemberOfOrganization] */
  alreadyMember: (userId: string) => new ApiError(400, 'already_a_member_in_organization', 'already a member', `${userId} is already a member of the organization.`),
  /** [OrganizationMembershipQuotaExceeded] the organization's `max_allowed_memberships` is reached. */
  membershipQuota: (max: number) =>
    new ApiError(403, 'organization_membership_quota_exceeded', 'organization membership quota exceeded', `You have reached your limit of ${max} organization memberships, including outstanding invitations.`),
  /** [OrganizationRoleNotFound] a role key that is not one of the instance's roles. */
  roleNotFound: () => new ApiError(404, 'resource_not_found', 'not found', 'Organization role not found', param('role')),
  /** [OrganizationDomainAlreadyExists] */
  domainTaken: () => new ApiError(422, 'organization_domain_already_exists', 'organizaton domain already exists', 'This domain is already used by another organization.', param('name')),
  /** [OrganizationDomainAlreadyExistsForSameOrganization] */
  domainTakenHere: () =>
    new ApiError(422, 'organization_domain_already_exists_same_organization', 'organization domain already exists', 'This domain is already used by your organization.', param('name')),
  /** [DuplicateInvitations] a pending invitation for the address exists (meta as the catalogue's, lower-cased). */
  duplicateInvitations: (emails: readonly string[]) =>
    new ApiError(400, 'duplicate_record', 'duplicate record', `There are already pending invitations for the following email addresses: ${emails.join(', ')}`, { email_addresses: [...emails] }),
  /** [UserQuotaExceeded] */
  userQuota: (max: number) =>
    new ApiError(403, 'user_quota_exceeded', 'user quota exceeded', `You have reached your limit of ${max} users. You can remove the user limit by upgrading to a paid plan or using a production instance.`),
};

const IDENTIFIER_NAMES: Record<string, string> = {
  email_address: 'email address',
  phone_number: 'phone number',
  username: 'username',
  web3_wallet: 'web3 wallet',
  external_id: 'external ID',
};
