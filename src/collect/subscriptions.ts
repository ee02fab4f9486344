import type { ContentType } from '../record/content-types.js'
import { ApiError } from '../m365/api-error.js'
import type { ActivityClient } from '../m365/activity-client.js'

/** The two calls subscriptions need from the Management API. */
export type SubscriptionApi = Pick<ActivityClient, 'listSubscriptions' | 'startSubscription'>

/** What ensureSubscriptions did, per content type. */
export type SubscriptionOutcome = 'enabled' | 'started' | 'already-enabled' | 'start-throttled'

/**
 * Makes sure each content type has an enabled subscription. Lists first and starts only
 * what is missing: the service allows one start per 15 minutes, and starting on every run
 * is what got other collectors throttled.
 */
export async function ensureSubscriptions(
  client: SubscriptionApi,
  types: readonly ContentType[]
): Promise<Map<ContentType, SubscriptionOutcome>> {
  let existing: Awaited<ReturnType<typeof client.listSubscriptions>>
  try {
    existing = await client.listSubscriptions()
  } catch (error) {
    throw explainSubscriptionError(error, types.join(', '))
  }
  const outcomes = new Map<ContentType, SubscriptionOutcome>()
  for (const type of types) {
    const subscription = existing.find((entry) => entry.contentType?.toLowerCase() === type.toLowerCase())
    if (subscription?.status?.toLowerCase() === 'enabled') {
      outcomes.set(type, 'enabled')
      continue
    }
    try {
      outcomes.set(type, await client.startSubscription(type))
    } catch (error) {
      // Another run (a matrix job, a manual backfill) may have started it moments ago: the
      // service then refuses starts for 15 minutes. Carry on; if there really is no
      // subscription, its windows fail with AF20022 and are retried by the next run.
      if (error instanceof ApiError && error.code === '429') {
        outcomes.set(type, 'start-throttled')
        continue
      }
      throw explainSubscriptionError(error, type)
    }
  }
  return outcomes
}

/**
 * Turns the subscription errors a user can fix into instructions; other errors pass through.
 * Used for listing too: a subscription can be disabled or missing when content is listed.
 */
export function explainSubscriptionError(error: unknown, type: string): Error {
  if (!(error instanceof ApiError)) return error as Error
  const text = error.message
  if (error.throttled) {
    return new Error(
      `The tenant's Management API quota kept refusing calls for ${type} (${error.code ?? `HTTP ${error.status}`}, throttled) even after ` +
        `waiting; the next run retries this window first. The quota (about 2,000 calls a minute) is shared by every tool that ` +
        `uses the same PublisherIdentifier: if others need part of it, set 'api-quota' lower or 'concurrency' smaller. ${text}`
    )
  }
  if (error.code === 'AF20023') {
    return new Error(
      `The ${type} subscription was disabled by an administrator (AF20023); re-enable it (the next run starts it again), ` +
        `or remove ${type} from 'content-types'. ${text}`
    )
  }
  if (error.code === 'AF20022') {
    return new Error(
      `There is no ${type} subscription (AF20022): it was stopped during the run; the next run starts it again. ${text}`
    )
  }
  // Only the tenant's own absence means audit logging is off: content that "does not exist"
  // (AF20050) is a blob the service lost, not an audit setting.
  if (/DataServiceException/.test(text) || /\bTenant\b[^.]*\bdoes not exist/i.test(text)) {
    return new Error(
      `The Management API answered for ${type} that the tenant has no audit log: unified audit logging is off; turn it on in Microsoft Purview ` +
        `(Audit > Start recording user and admin activity), wait up to 60 minutes, then run again. ${text}`
    )
  }
  if (error.code === 'AF20050') {
    return new Error(
      `A ${type} content blob the listing named is not there (AF20050): the service lists content it cannot serve now and then; ` +
        `the next run retries this window first, and a window still failing after 7 days is reported as a gap to fill from a Purview export. ${text}`
    )
  }
  if (error.code === '429') {
    return new Error(
      `Starting the ${type} subscription was throttled: the service allows one start per 15 minutes; run again later. ${text}`
    )
  }
  if (error.code === 'AF10001' || error.status === 401 || error.status === 403) {
    return new Error(
      `The Management API refused the app for ${type}: it needs the Office 365 Management APIs application permission ` +
        `ActivityFeed.Read${type.includes('DLP.All') ? ' (and ActivityFeed.ReadDlp for DLP.All)' : ''} with admin consent. ${text}`
    )
  }
  return error
}
