/** The five content types of the Management Activity API (its reference, "Working with the Office 365 Management Activity API"). */
export const CONTENT_TYPES = [
  'Audit.AzureActiveDirectory',
  'Audit.Exchange',
  'Audit.SharePoint',
  'Audit.General',
  'DLP.All'
] as const

/** One of {@link CONTENT_TYPES}. */
export type ContentType = (typeof CONTENT_TYPES)[number]

/**
 * Narrows a query value to a content type. Matching is exact: whether the service forgives
 * other casings is undocumented, and a strict emulator cannot hide a client's typo.
 */
export function isContentType(value: string): value is ContentType {
  return (CONTENT_TYPES as readonly string[]).includes(value)
}
