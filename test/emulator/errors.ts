/**
 * Error codes and bodies of the Management Activity API (AF…) and of Entra ID (AADSTS…).
 *
 * Texts follow Microsoft's reference (the "Errors" section of
 * https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-reference,
 * and https://learn.microsoft.com/entra/identity-platform/reference-error-codes). HTTP statuses
 * are mostly undocumented; where reports differ we pick one and say so here, so a test that
 * depends on the choice can find the reason.
 */

/** The one body shape every AF error uses: `{"error":{"code","message"}}`. */
export interface AfErrorBody {
  error: { code: string; message: string }
}

/** An API error ready to send: status plus body. */
export interface ApiError {
  status: number
  body: AfErrorBody
}

/** Builds `{ status, body }` for an arbitrary code/message pair. */
export function apiError(status: number, code: string, message: string): ApiError {
  return { status, body: { error: { code, message } } }
}

/** The text of AF20030 (documented) and the head of AF20055 (observed, double space included). */
export const WINDOW_RULE_TEXT =
  'Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time no more than 7 days in the past.'
const WINDOW_RULE_TEXT_55 =
  'Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time prior to  end time and start time no more than 7 days in the past.'

/** The zero GUID the service prints as PublisherId when the caller sent none. */
export const ZERO_GUID = '00000000-0000-0000-0000-000000000000'

/** Constructors for every AF code the emulator produces. */
export const af = {
  // Microsoft documents no HTTP status for AF10001; this answers 401, 403 being the other candidate.
  missingPermission: (roles: readonly string[], permission = 'ActivityFeed.Read') =>
    apiError(
      401,
      'AF10001',
      `The permission set (${roles.join(' ')}) sent in the request did not include the expected permission ${permission}.`
    ),
  missingParameter: (name: string) => apiError(400, 'AF20001', `Missing parameter: ${name}.`),
  invalidParameterType: (name: string, expected: string) =>
    apiError(400, 'AF20002', `Invalid parameter type: ${name}. Expected type: ${expected}.`),
  tenantMismatch: (urlTenant: string, tokenTenant: string) =>
    apiError(
      401,
      'AF20010',
      `The tenant ID passed in the URL (${urlTenant}) does not match the tenant ID passed in the access token (${tokenTenant}).`
    ),
  tenantNotFound: (tenant: string) =>
    apiError(400, 'AF20011', `Specified tenant ID (${tenant}) does not exist in the system or has been deleted.`),
  tenantNotGuid: (tenant: string) =>
    apiError(400, 'AF20013', `The tenant ID passed in the URL (${tenant}) is not a valid GUID.`),
  invalidContentType: () => apiError(400, 'AF20020', 'The specified content type is not valid.'),
  noSubscription: () => apiError(400, 'AF20022', 'No subscription found for the specified content type.'),
  // The documented text is "disabled by {0}"; the observed one has no actor. We print the
  // actor only when a test disabled the subscription "by" someone.
  subscriptionDisabled: (by?: string) =>
    apiError(400, 'AF20023', by ? `The subscription was disabled by ${by}.` : 'The subscription was disabled.'),
  alreadyEnabled: () => apiError(400, 'AF20024', 'The subscription is already enabled. No property change.'),
  windowBothOrNeither: () => apiError(400, 'AF20030', WINDOW_RULE_TEXT),
  invalidNextPage: (value: string) => apiError(400, 'AF20031', `Invalid nextPage Input: ${value}.`),
  contentNotFound: (contentId: string) =>
    apiError(404, 'AF20050', `The specified content (${contentId}) does not exist.`),
  // 400 and 404 are both reported; 400 keeps "gone" apart from "never existed" (AF20050, 404).
  contentExpired: (contentId: string) =>
    apiError(
      400,
      'AF20051',
      `Content requested with the key ${contentId} has already expired. Content older than 7 days cannot be retrieved.`
    ),
  invalidContentId: (contentId: string) => apiError(400, 'AF20052', `Content ID ${contentId} in the URL is invalid.`),
  /** `rawStart`/`rawEnd` are echoed as the client sent them, as the service does. */
  invalidWindow: (rawStart: string, rawEnd: string) =>
    apiError(400, 'AF20055', `${WINDOW_RULE_TEXT_55} StartTime:${rawStart}, EndTime:${rawEnd}`),
  // The service's own documentation shows AF429 with HTTP 403, not 429.
  tooManyRequests: (method: string, publisherId: string | undefined, status = 403) =>
    apiError(status, 'AF429', `Too many requests. Method=${method}, PublisherId=${publisherId ?? ZERO_GUID}`),
  internal: () => apiError(500, 'AF50000', 'An internal server error occurred. Retry the request.'),
  /** Observed as HTTP 403 with code "429" (a string, not AF-prefixed). */
  startCooldown: (remainingMs: number) =>
    apiError(
      403,
      '429',
      `Too many frequent subscription start requests. Please retry again after ${formatMinutesSeconds(remainingMs)}.`
    ),
  /** The shape seen when unified audit logging is off for the tenant. */
  auditDisabled: (tenantId: string, contentType: string) =>
    apiError(
      400,
      `StartSubscription [TenantId=${tenantId},ContentType=${contentType}] failed. Exception`,
      `Microsoft.Office.Compliance.Audit.DataServiceException: Tenant ${tenantId} does not exist.`
    )
} as const

/** "14m 56s", rounding up so a client that waits exactly that long is never early. */
export function formatMinutesSeconds(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000))
  return `${Math.floor(total / 60)}m ${total % 60}s`
}

/** ASP.NET Web API's own 401 body, sent for a missing, malformed, expired or revoked token. */
export const AUTHORIZATION_DENIED = { Message: 'Authorization has been denied for this request.' } as const

/** An Entra ID (AADSTS) error before trace/correlation ids and timestamps are added. */
export interface EntraErrorSpec {
  status: number
  error: string
  code: number
  description: string
}

const entraError = (status: number, error: string, code: number, description: string): EntraErrorSpec => ({
  status,
  error,
  code,
  description
})

/** Constructors for the AADSTS errors the token endpoint produces. */
export const aadsts = {
  tenantNotFound: (tenant: string) =>
    entraError(
      400,
      'invalid_request',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`
    ),
  missingParameter: (name: string) =>
    entraError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`),
  unsupportedGrant: (grant: string) =>
    entraError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.`),
  appNotFound: (clientId: string, tenant: string) =>
    entraError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`
    ),
  invalidScope: (scope: string) =>
    entraError(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`
    ),
  resourceNotFound: (resource: string, tenant: string) =>
    entraError(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`
    ),
  missingCredential: () =>
    entraError(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
    ),
  invalidSecret: (clientId: string) =>
    entraError(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`
    ),
  invalidAssertionType: () =>
    entraError(
      400,
      'invalid_request',
      50027,
      "Invalid client_assertion_type. Expected 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'."
    ),
  malformedAssertion: (why: string) =>
    entraError(400, 'invalid_request', 50027, `JWT token is invalid or is malformed. ${why}`),
  unknownCertificate: (clientId: string, keyId: string) =>
    entraError(
      401,
      'invalid_client',
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${keyId}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`
    ),
  badSignature: () => entraError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.'),
  badAssertionAudience: (audience: string) =>
    entraError(
      401,
      'invalid_client',
      700212,
      `No matching federated identity record found for presented assertion audience '${audience}'.`
    ),
  noFederatedMatch: (issuer: string, subject: string, audience: string) =>
    entraError(
      400,
      'invalid_request',
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${issuer}'. Assertion Subject: '${subject}'. Assertion Audience: '${audience}'.`
    ),
  assertionOutOfRange: (now: Date, nbf: number | undefined, exp: number | undefined) =>
    entraError(
      400,
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${now.toISOString()}, assertion valid from ${nbf === undefined ? 'unknown' : new Date(nbf * 1000).toISOString()}, expiry time of assertion ${exp === undefined ? 'unknown' : new Date(exp * 1000).toISOString()}.`
    )
} as const

/** Narrows a "result or error" union. */
export function isApiError(value: unknown): value is ApiError {
  return typeof value === 'object' && value !== null && 'status' in value && 'body' in value
}
