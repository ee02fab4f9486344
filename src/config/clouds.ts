/**
 * Microsoft 365 clouds and where each one signs in and serves the Management Activity API.
 * The audience is both the token resource and the API host: the CoE Starter Kit's
 * "Audit Logs - Audience" setting works the same way.
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
}

const PRESETS: Readonly<Record<Cloud, CloudEndpoints>> = {
  commercial: { authorityHost: 'https://login.microsoftonline.com', audience: 'https://manage.office.com' },
  gcc: { authorityHost: 'https://login.microsoftonline.com', audience: 'https://manage-gcc.office.com' },
  'gcc-high': { authorityHost: 'https://login.microsoftonline.us', audience: 'https://manage.office365.us' },
  dod: { authorityHost: 'https://login.microsoftonline.us', audience: 'https://manage.protection.apps.mil' }
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
  const key = text.trim().toLowerCase().replace(/[\s_]+/g, '-')
  return ALIASES[key]
}

/** The endpoints of a cloud preset. */
export function cloudEndpoints(cloud: Cloud): CloudEndpoints {
  return PRESETS[cloud]
}
