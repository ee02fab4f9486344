import type { AuditRecord } from '../record/audit-record.js'

/**
 * What a `LaunchPowerApp` record says about one launch, whichever of the two schemas it
 * comes in (https://learn.microsoft.com/power-platform/admin/activity-logging-auditing/activity-logs-power-apps
 * for the current one; https://learn.microsoft.com/power-platform/admin/logging-powerapps for the
 * older one):
 *
 * - RecordType 256, Workload `PowerPlatform`: the details are `{Name, Value}` pairs in
 *   `PropertyCollection`; the app is `powerplatform.analytics.resource.power_app.id`, the
 *   environment the top-level `EnvironmentId` (or the `environment.id` pair), display names
 *   the `power_app.display_name` and `environment.name` pairs;
 * - RecordType 45, Workload `PowerApps`: the app is the top-level `AppName` (a GUID, despite
 *   the name), the environment and display name are `environmentName` and `appDisplayName`
 *   in the JSON text of `AdditionalInfo`.
 *
 * The CoE Starter Kit's current flow reads only the first shape and drops the second; both
 * count here. Ids are lower-cased (they are GUIDs, and the two schemas spell the default
 * environment `Default-…` and `default-…`); names are kept as written.
 */
export interface PowerAppLaunch {
  appId: string
  appName?: string
  environmentId: string
  environmentName?: string
  /** Who launched: `UserKey` (the Entra object id), else the UPN in `UserId`; lower-cased. Absent when neither is there. */
  user?: string
}

const LAUNCH = 'launchpowerapp'
const APP_ID = 'powerplatform.analytics.resource.power_app.id'
const APP_NAME = 'powerplatform.analytics.resource.power_app.display_name'
const ENVIRONMENT_ID = 'powerplatform.analytics.resource.environment.id'
const ENVIRONMENT_NAME = 'powerplatform.analytics.resource.environment.name'

/** Whether an `Operation` value is a launch. */
export function isLaunchOperation(operation: unknown): boolean {
  return typeof operation === 'string' && operation.toLowerCase() === LAUNCH
}

/** The launch a record describes, or undefined when it is not a `LaunchPowerApp` record. */
export function readPowerAppLaunch(record: AuditRecord): PowerAppLaunch | undefined {
  if (!isLaunchOperation(record.Operation)) return undefined
  const user = text(record.UserKey)?.toLowerCase() ?? text(record.UserId)?.toLowerCase()
  const properties = record.PropertyCollection
  if (Array.isArray(properties)) {
    const property = (name: string): string | undefined => {
      for (const entry of properties) {
        if (entry && typeof entry === 'object' && (entry as { Name?: unknown }).Name === name)
          return text((entry as { Value?: unknown }).Value)
      }
      return undefined
    }
    return launch(
      lastSegment(property(APP_ID)),
      property(APP_NAME),
      text(record.EnvironmentId) ?? property(ENVIRONMENT_ID),
      property(ENVIRONMENT_NAME),
      user
    )
  }
  const info = additionalInfo(record.AdditionalInfo)
  return launch(text(record.AppName), text(info.appDisplayName), text(info.environmentName), undefined, user)
}

function launch(
  appId: string | undefined,
  appName: string | undefined,
  environmentId: string | undefined,
  environmentName: string | undefined,
  user: string | undefined
): PowerAppLaunch {
  return {
    appId: appId?.toLowerCase() ?? '',
    ...(appName ? { appName } : {}),
    environmentId: environmentId?.toLowerCase() ?? '',
    ...(environmentName ? { environmentName } : {}),
    ...(user ? { user } : {})
  }
}

/** A non-empty trimmed string, or undefined. */
function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  return trimmed === '' ? undefined : trimmed
}

/**
 * The app id without a path before it: some Power Platform records give a resource path
 * (`/providers/Microsoft.PowerApps/apps/<guid>`) where others give the bare GUID.
 */
function lastSegment(id: string | undefined): string | undefined {
  if (id === undefined) return undefined
  const slash = id.lastIndexOf('/')
  return slash < 0 ? id : text(id.slice(slash + 1))
}

/** `AdditionalInfo` is JSON in a string; an object, or text that is not JSON, gives what it can. */
function additionalInfo(value: unknown): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
  if (typeof value !== 'string') return {}
  try {
    const parsed: unknown = JSON.parse(value)
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}
