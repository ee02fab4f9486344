/** The five content types of the Office 365 Management Activity API. */
export const CONTENT_TYPES = [
  'Audit.AzureActiveDirectory',
  'Audit.Exchange',
  'Audit.SharePoint',
  'Audit.General',
  'DLP.All'
] as const

/** A Management Activity API content type; Power Platform events are in Audit.General. */
export type ContentType = (typeof CONTENT_TYPES)[number]

/** Resolves a content type regardless of case (`audit.general`), or undefined. */
export function parseContentType(text: string): ContentType | undefined {
  const wanted = text.trim().toLowerCase()
  return CONTENT_TYPES.find((type) => type.toLowerCase() === wanted)
}
