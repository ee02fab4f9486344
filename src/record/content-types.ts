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

/**
 * The record types the API serves in DLP.All: the ComplianceDLP* types of the RecordType enum
 * (DLP policy matches in Exchange, SharePoint and OneDrive, and their classification events),
 * https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-schema#data-loss-prevention-dlp-schema.
 * Endpoint and on-premises scanner DLP (63, 99, 100) are their own workloads' records.
 */
export const DLP_RECORD_TYPES: ReadonlySet<number> = new Set([11, 13, 33, 107])

/**
 * The content type the Management Activity API files a record under, from its workload and
 * record type (https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-reference#working-with-the-office-365-management-activity-api):
 * DLP events → DLP.All; Exchange → Audit.Exchange; SharePoint and OneDrive →
 * Audit.SharePoint; Entra ID (AzureActiveDirectory) → Audit.AzureActiveDirectory; every other
 * workload (Power Platform, Teams, Power BI, …) → Audit.General. An imported record lands in
 * the same day file as the API's copy of it would.
 */
export function contentTypeOf(workload: string | undefined, recordType: number | undefined): ContentType {
  if (recordType !== undefined && DLP_RECORD_TYPES.has(recordType)) return 'DLP.All'
  switch (workload?.trim().toLowerCase()) {
    case 'exchange':
      return 'Audit.Exchange'
    case 'sharepoint':
    case 'onedrive':
      return 'Audit.SharePoint'
    case 'azureactivedirectory':
      return 'Audit.AzureActiveDirectory'
    default:
      return 'Audit.General'
  }
}
