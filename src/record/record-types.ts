/**
 * The API's RecordType enum (`AuditLogRecordType`): the number each record carries in
 * `RecordType`, and the member name Microsoft Purview and the Graph audit API show for it.
 * From the "Enum: AuditLogRecordType" table of the Management Activity API schema,
 * https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-schema#auditlogrecordtype,
 * plus the Power Platform types that table does not list yet (79, 187 and 256, from
 * https://learn.microsoft.com/power-platform/admin/activity-logging-auditing/activity-logs-power-apps
 * and the Purview record-type list). New types appear often: a number not listed here is
 * still a valid filter, only its name is unknown.
 */
export const RECORD_TYPES: ReadonlyMap<number, string> = new Map([
  [1, 'ExchangeAdmin'],
  [2, 'ExchangeItem'],
  [3, 'ExchangeItemGroup'],
  [4, 'SharePoint'],
  [6, 'SharePointFileOperation'],
  [7, 'OneDrive'],
  [8, 'AzureActiveDirectory'],
  [9, 'AzureActiveDirectoryAccountLogon'],
  [10, 'DataCenterSecurityCmdlet'],
  [11, 'ComplianceDLPSharePoint'],
  [13, 'ComplianceDLPExchange'],
  [14, 'SharePointSharingOperation'],
  [15, 'AzureActiveDirectoryStsLogon'],
  [16, 'SkypeForBusinessPSTNUsage'],
  [17, 'SkypeForBusinessUsersBlocked'],
  [18, 'SecurityComplianceCenterEOPCmdlet'],
  [19, 'ExchangeAggregatedOperation'],
  [20, 'PowerBIAudit'],
  [21, 'CRM'],
  [22, 'Yammer'],
  [23, 'SkypeForBusinessCmdlets'],
  [24, 'Discovery'],
  [25, 'MicrosoftTeams'],
  [28, 'ThreatIntelligence'],
  [29, 'MailSubmission'],
  [30, 'MicrosoftFlow'],
  [31, 'AeD'],
  [32, 'MicrosoftStream'],
  [33, 'ComplianceDLPSharePointClassification'],
  [34, 'ThreatFinder'],
  [35, 'Project'],
  [36, 'SharePointListOperation'],
  [37, 'SharePointCommentOperation'],
  [38, 'DataGovernance'],
  [39, 'Kaizala'],
  [40, 'SecurityComplianceAlerts'],
  [41, 'ThreatIntelligenceUrl'],
  [42, 'SecurityComplianceInsights'],
  [43, 'MIPLabel'],
  [44, 'WorkplaceAnalytics'],
  [45, 'PowerAppsApp'],
  [46, 'PowerAppsPlan'],
  [47, 'ThreatIntelligenceAtpContent'],
  [48, 'LabelContentExplorer'],
  [49, 'TeamsHealthcare'],
  [50, 'ExchangeItemAggregated'],
  [51, 'HygieneEvent'],
  [52, 'DataInsightsRestApiAudit'],
  [53, 'InformationBarrierPolicyApplication'],
  [54, 'SharePointListItemOperation'],
  [55, 'SharePointContentTypeOperation'],
  [56, 'SharePointFieldOperation'],
  [57, 'MicrosoftTeamsAdmin'],
  [58, 'HRSignal'],
  [59, 'MicrosoftTeamsDevice'],
  [60, 'MicrosoftTeamsAnalytics'],
  [61, 'InformationWorkerProtection'],
  [62, 'Campaign'],
  [63, 'DLPEndpoint'],
  [64, 'AirInvestigation'],
  [65, 'Quarantine'],
  [66, 'MicrosoftForms'],
  [67, 'ApplicationAudit'],
  [68, 'ComplianceSupervisionExchange'],
  [69, 'CustomerKeyServiceEncryption'],
  [70, 'OfficeNative'],
  [71, 'MipAutoLabelSharePointItem'],
  [72, 'MipAutoLabelSharePointPolicyLocation'],
  [73, 'MicrosoftTeamsShifts'],
  [75, 'MipAutoLabelExchangeItem'],
  [76, 'CortanaBriefing'],
  [78, 'WDATPAlerts'],
  [79, 'PowerAppsResource'],
  [82, 'SensitivityLabelPolicyMatch'],
  [83, 'SensitivityLabelAction'],
  [84, 'SensitivityLabeledFileAction'],
  [85, 'AttackSim'],
  [86, 'AirManualInvestigation'],
  [87, 'SecurityComplianceRBAC'],
  [88, 'UserTraining'],
  [89, 'AirAdminActionInvestigation'],
  [90, 'MSTIC'],
  [91, 'PhysicalBadgingSignal'],
  [93, 'AipDiscover'],
  [94, 'AipSensitivityLabelAction'],
  [95, 'AipProtectionAction'],
  [96, 'AipFileDeleted'],
  [97, 'AipHeartBeat'],
  [98, 'MCASAlerts'],
  [99, 'OnPremisesFileShareScannerDlp'],
  [100, 'OnPremisesSharePointScannerDlp'],
  [101, 'ExchangeSearch'],
  [102, 'SharePointSearch'],
  [103, 'PrivacyInsights'],
  [105, 'MyAnalyticsSettings'],
  [106, 'SecurityComplianceUserChange'],
  [107, 'ComplianceDLPExchangeClassification'],
  [109, 'MipExactDataMatch'],
  [113, 'MS365DCustomDetection'],
  [147, 'CoreReportingSettings'],
  [148, 'ComplianceConnector'],
  [154, 'OMEPortal'],
  [174, 'DataShareOperation'],
  [181, 'EduDataLakeDownloadOperation'],
  [183, 'MicrosoftGraphDataConnectOperation'],
  [186, 'PowerPagesSite'],
  [187, 'PowerPlatformAdminDlp'],
  [188, 'PlannerPlan'],
  [189, 'PlannerCopyPlan'],
  [190, 'PlannerTask'],
  [191, 'PlannerRoster'],
  [192, 'PlannerPlanList'],
  [193, 'PlannerTaskList'],
  [194, 'PlannerTenantSettings'],
  [195, 'ProjectForTheWebProject'],
  [196, 'ProjectForTheWebTask'],
  [197, 'ProjectForTheWebRoadmap'],
  [198, 'ProjectForTheWebRoadmapItem'],
  [199, 'ProjectForTheWebProjectSettings'],
  [200, 'ProjectForTheWebRoadmapSettings'],
  [216, 'VivaGoals'],
  [217, 'MicrosoftGraphDataConnectConsent'],
  [230, 'TeamsUpdates'],
  [231, 'PlannerRosterSensitivityLabel'],
  [256, 'PowerPlatformAdministratorActivity']
])

/** Names compared without case or spaces (the schema writes 216 as "Viva Goals"). */
const nameKey = (name: string): string => name.toLowerCase().replace(/\s+/g, '')
const BY_NAME = new Map([...RECORD_TYPES].map(([value, name]) => [nameKey(name), value]))

/**
 * A record type given as its number (`256`) or its enum name in any case
 * (`powerplatformadministratoractivity`); undefined for an unknown name.
 */
export function parseRecordType(text: string): number | undefined {
  const trimmed = text.trim()
  if (/^\d{1,6}$/.test(trimmed)) return Number(trimmed)
  return BY_NAME.get(nameKey(trimmed))
}

/** `PowerAppsApp (45)`, or the bare number of a type the table does not name. */
export function describeRecordType(value: number): string {
  const name = RECORD_TYPES.get(value)
  return name ? `${name} (${value})` : String(value)
}

/**
 * A few enum members to suggest for a name that is not one: those that contain it or that it
 * contains (`PowerApp` → PowerAppsApp, PowerAppsPlan, PowerAppsResource), else the types a
 * CoE set-up filters on most.
 */
export function suggestRecordTypes(text: string, count = 4): string[] {
  const wanted = text
    .trim()
    .toLowerCase()
    .replace(/[\s_-]/g, '')
  const close =
    wanted.length < 3
      ? []
      : [...RECORD_TYPES].filter(([, name]) => {
          const lower = name.toLowerCase()
          return lower.includes(wanted) || wanted.includes(lower)
        })
  const picked = close.length > 0 ? close : [45, 256, 30, 6].map((value) => [value, RECORD_TYPES.get(value)!] as const)
  return picked.slice(0, count).map(([value]) => describeRecordType(value))
}
