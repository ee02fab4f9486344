/**
 * Microsoft 365 clouds and where each one signs in and serves the Management Activity API.
 * The audience is both the token resource and the API host: the CoE Starter Kit's
 * "Audit Logs - Audience" setting works the same way. Hosts per cloud:
 * https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-reference
 * and https://learn.microsoft.com/power-platform/guidance/coe/setup-auditlog-http; federation
 * audiences: https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust
 */

export const CLOUDS = ['commercial', 'gcc', 'gcc-high', 'dod'] as const

/** One of the Microsoft 365 clouds the action knows endpoints for. */
export type Cloud = (typeof CLOUDS)[number]

/** Where to get tokens and which API to call. */
export interface CloudEndpoints {
  /** Entra ID authority host, e.g. https://login.microsoftonline.com (no tenant, no trailing slash). */
  authorityHost: string
  /** Management API root and token resource, e.g. https://manage.office.com. */
  audience: string
  /**
   * The `aud` a federated token (GitHub OIDC) must carry for this cloud's Entra ID, and the
   * audience of the app's federated credential.
   */
  federationAudience: string
  /**
   * Microsoft Graph root, for audit log queries: undefined where Graph's audit log query API is
   * not served (it is global only: https://learn.microsoft.com/graph/api/security-auditcoreroot-post-auditlogqueries,
   * "National cloud deployments"; GCC uses the global service).
   */
  graphUrl: string | undefined
}

/** Federation audience of Entra ID's global service (commercial and GCC). */
export const FEDERATION_AUDIENCE = 'api://AzureADTokenExchange'
/** Federation audience of Entra ID for US Government (GCC High and DoD). */
export const FEDERATION_AUDIENCE_US_GOV = 'api://AzureADTokenExchangeUSGov'

const PRESETS: Readonly<Record<Cloud, CloudEndpoints>> = {
  commercial: {
    authorityHost: 'https://login.microsoftonline.com',
    audience: 'https://manage.office.com',
    federationAudience: FEDERATION_AUDIENCE,
    graphUrl: 'https://graph.microsoft.com'
  },
  gcc: {
    authorityHost: 'https://login.microsoftonline.com',
    audience: 'https://manage-gcc.office.com',
    federationAudience: FEDERATION_AUDIENCE,
    graphUrl: 'https://graph.microsoft.com'
  },
  'gcc-high': {
    authorityHost: 'https://login.microsoftonline.us',
    audience: 'https://manage.office365.us',
    federationAudience: FEDERATION_AUDIENCE_US_GOV,
    graphUrl: undefined
  },
  dod: {
    authorityHost: 'https://login.microsoftonline.us',
    audience: 'https://manage.protection.apps.mil',
    federationAudience: FEDERATION_AUDIENCE_US_GOV,
    graphUrl: undefined
  }
}

const ALIASES: Readonly<Record<string, Cloud>> = {
  commercial: 'commercial',
  enterprise: 'commercial',
  gcc: 'gcc',
  'gcc-high': 'gcc-high',
  gcchigh: 'gcc-high',
  dod: 'dod'
}

/** Resolves a cloud name as users type it (`GCC High`, `gcc_high`), or undefined. */
export function parseCloud(text: string): Cloud | undefined {
  const key = text
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
  return ALIASES[key]
}

/** The endpoints of a cloud preset. */
export function cloudEndpoints(cloud: Cloud): CloudEndpoints {
  return PRESETS[cloud]
}
