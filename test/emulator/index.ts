/**
 * An emulator of the Office 365 Management Activity API and the Entra ID token endpoint, on
 * one HTTPS server at 127.0.0.1, and of Microsoft Graph's audit log query API on a second one
 * (`graphUrl`), for tests that cannot reach a Microsoft tenant.
 *
 * @example
 * const emulator = await startEmulator({ clientSecret: 's3cret' })
 * emulator.generate({ from, to })
 * // point the action at emulator.authority / emulator.apiRoot (or emulator.graphUrl),
 * // trusting emulator.caCertPem
 * await emulator.close()
 */
import { ActivityApi } from './activity-api.js'
import { DAY, MINUTE } from './clock.js'
import type { ContentType } from './content-types.js'
import { Entra, normaliseResource, type FederatedCredential, type MintOptions, type SignInAttempt } from './entra.js'
import { Faults, Quota, type ActiveFault, type FaultRule, type QuotaOptions } from './faults.js'
import { Feed, type ContentBlob, type PublishInput } from './feed.js'
import {
  DEFAULT_GRAPH_QUERY_DURATION_MS,
  GraphAuditApi,
  type GraphDurationInput,
  type GraphQueryOutcome,
  type GraphQueryOutcomeInput,
  type GraphQueryView,
  type GraphSettings
} from './graph-api.js'
import { TrafficGenerator, type GenerateOptions } from './generator.js'
import { RequestLog } from './request-log.js'
import { Rng } from './rng.js'
import { listen, type ServerParts } from './server.js'
import { Subscriptions } from './subscriptions.js'
import { createSelfSignedCertificate, getServerCertificate, writeTrustFile } from './tls.js'

export { createManualClock, type ManualClock, MINUTE, HOUR, DAY } from './clock.js'
export { CONTENT_TYPES, type ContentType } from './content-types.js'
export type { FederatedCredential, MintOptions, AccessTokenClaims, SignInAttempt } from './entra.js'
export type { FaultKind, FaultRule, ActiveFault, QuotaOptions } from './faults.js'
export type { ContentBlob, PublishInput } from './feed.js'
export {
  DEFAULT_GRAPH_QUERY_DURATION_MS,
  formatGraphDate,
  type GraphDurationInput,
  type GraphQueryFilters,
  type GraphQueryOutcome,
  type GraphQueryOutcomeInput,
  type GraphQueryStatus,
  type GraphQueryView
} from './graph-api.js'
export { graphRecordTypeName, graphUserTypeName, toGraphAuditLogRecord } from './graph-records.js'
export { DEFAULT_LATENESS, type GenerateOptions, type LatenessBand } from './generator.js'
export type { GraphRoute, ManagementRoute, Route } from './http.js'
export { APPS, PEOPLE, formatCreationTime, type RecordKind } from './records.js'
export type { RequestLogEntry, ListWindow, RequestLog } from './request-log.js'
export type { SubscriptionView } from './subscriptions.js'
export { createSelfSignedCertificate, type SelfSignedCertificate } from './tls.js'
export {
  ecKeyPair,
  makeCertificate,
  pem,
  rsaKeyPair,
  type KeyPair,
  type TestCertificate,
  type TestCertificateOptions
} from './x509.js'

/** Default tenant: a fixed GUID so snapshots and URLs are stable. */
export const DEFAULT_TENANT_ID = '33333333-3333-4333-8333-333333333333'
/** Default application (client) id. */
export const DEFAULT_CLIENT_ID = '11111111-1111-4111-8111-111111111111'
/** Default client secret. */
export const DEFAULT_CLIENT_SECRET = 'emulator-secret~value'

/** Options of {@link startEmulator}; every one has a default. */
export interface EmulatorOptions {
  tenantId?: string
  clientId?: string
  /** The app's secret; `null` registers no secret at all. */
  clientSecret?: string | null
  /** PEM certificate registered on the app (verifies RS256 client assertions by x5t / x5t#S256). */
  certificate?: string
  /** Federated identity credentials (e.g. GitHub OIDC). */
  federated?: FederatedCredential | readonly FederatedCredential[]
  /** Extra accepted resources/audiences (the emulator's own origin is always accepted). */
  resource?: string | readonly string[]
  /**
   * Host names the emulator also answers as, such as login.microsoftonline.us, for a client
   * that reaches it through a proxy tunnelling those names to it: its certificate covers
   * them, and discovery documents, token audiences and content URIs name the host a request
   * addressed.
   */
  hosts?: readonly string[]
  /** Application roles in tokens for the Management API; default `['ActivityFeed.Read']`. */
  roles?: readonly string[]
  /** Application roles in tokens for Graph (`${graphUrl}/.default`); default `['AuditLogsQuery.Read.All']`. */
  graphRoles?: readonly string[]
  /** Extra audiences of Graph tokens, such as https://graph.microsoft.com (`graphUrl` is always one). */
  graphResource?: string | readonly string[]
  /** Port of the Graph listener on 127.0.0.1; default 0, an ephemeral one. */
  graphPort?: number
  /**
   * Unified audit logging, tenant-wide: off, Graph creates answer AuditingDisabledTenant and
   * Management starts the DataServiceException. Default on (unless `auditDisabled`).
   */
  auditingEnabled?: boolean
  /** Serve `/v1.0/security/auditLog/…` too; default false (404, as while the API was beta-only). */
  graphV1Served?: boolean
  /** Unfinished Graph queries at which a create answers 429; default 10. */
  graphConcurrentQueries?: number
  /** Graph creates in the rolling 24 h at which a create answers 429; default 200. */
  graphDailySubmissions?: number
  /** `Retry-After` of a throttled create; default none (Graph often sends none). */
  graphRetryAfterSeconds?: number
  /** Time a Graph query takes, or a function of its window and record count; default 2 minutes. */
  graphQueryDurationMs?: number | ((input: GraphDurationInput) => number)
  /** How each Graph query ends (asked once, when it finishes); default succeeded. */
  graphQueryOutcome?: (query: GraphQueryOutcomeInput) => GraphQueryOutcome
  /** Records a Graph query returns at most; default 1,000,000. */
  graphRecordCountLimit?: number
  /** Chance (0..1) that a record appears twice in a Graph query's results; default 0. */
  graphDuplicateRate?: number
  /** Emulator clock; default real time. */
  now?: () => Date
  /** Clock for client assertions, which clients stamp with real time; default real time. */
  assertionNow?: () => Date
  /** Port on 127.0.0.1; default 0, an ephemeral one (tests run side by side). */
  port?: number
  /** RNG seed for contentIds, generated data and probabilistic faults; default 1. */
  seed?: number
  /** Items per `subscriptions/content` page; default 5, so paging is always exercised. */
  pageSize?: number
  /** Days from contentCreated to contentExpiration; default 7. */
  contentExpiration?: number
  /** Minutes past 7 days a `startTime` may still lie; default 60 (elastic/beats measured 1 h). */
  retentionGraceMinutes?: number
  /** Lifetime of issued tokens; default 3599. */
  tokenLifetimeSeconds?: number
  /** Unified audit logging off: every start fails with the DataServiceException (see `auditingEnabled`). */
  auditDisabled?: boolean
  /** Wait between two starts of one content type; default 15. */
  subscriptionStartCooldownMinutes?: number
  /** What omitted start/end mean: the last 24 h (default) or since UTC midnight. */
  omittedWindowMode?: 'last24h' | 'todayUtc'
  /**
   * Model "content made while the subscription was off is never listable". Off by default so
   * tests can seed content before the action under test starts its subscription.
   */
  contentRequiresSubscription?: boolean
  /** Tenant-wide request quota (a token bucket or a rolling minute on the emulator clock); off unless given. */
  throttle?: QuotaOptions
}

/** Subscription controls for tests. */
export interface SubscriptionControls {
  /** Enable without a start call (and without cooldown); `since` backdates it. */
  enable(contentType: ContentType, since?: Date): void
  /** Disable as a tenant admin would: `/content` then answers AF20023. */
  disableByAdmin(contentType: ContentType, by?: string): void
  /** The current state, as `subscriptions/list` shows it. */
  get(contentType: ContentType): { contentType: ContentType; status: 'enabled' | 'disabled'; webhook: null } | undefined
  /** Forget one or all subscriptions. */
  reset(contentType?: ContentType): void
}

/** A running emulator. */
export interface Emulator {
  /** `https://127.0.0.1:PORT` */
  readonly url: string
  /** `127.0.0.1:PORT`, for MSAL `knownAuthorities`. */
  readonly host: string
  readonly tenantId: string
  readonly clientId: string
  readonly clientSecret: string | undefined
  /** `${url}/${tenantId}`: an MSAL authority. */
  readonly authority: string
  /** `${url}/api/v1.0/${tenantId}/activity/feed` */
  readonly apiRoot: string
  /** The resource to request tokens for (`scope = resource + '/.default'`). */
  readonly resource: string
  /** The server certificate to trust (self-signed). */
  readonly caCertPem: string
  /** File holding `caCertPem`, e.g. for a child's `NODE_EXTRA_CA_CERTS`. */
  readonly caCertPath: string
  readonly requests: RequestLog
  readonly faults: { add(rule: FaultRule): ActiveFault; clear(): void; limitStreaks(max: number): void }
  readonly subscriptions: SubscriptionControls
  /** Number of access tokens issued. */
  readonly issuedTokens: number
  /** Every token request: host, scope, how the client authenticated, the assertion's header and claims. */
  readonly signIns: readonly SignInAttempt[]
  /** Requests the quota accepted and throttled, when there is one. */
  readonly quota: { readonly accepted: number; readonly throttled: number } | undefined
  /** Publishes one blob. */
  publish(input: PublishInput): ContentBlob
  /** Publishes seeded traffic. */
  generate(options: GenerateOptions): ContentBlob[]
  /** All blobs in listing order. */
  blobs(contentType?: ContentType): ContentBlob[]
  /** Distinct records generated per content type and UTC day of CreationTime (`type|YYYY-MM-DD`), compact blobs included. */
  readonly generatedDistinct: ReadonlyMap<string, number>
  /** Distinct records (first occurrence by `Id`) in published blobs. */
  servedRecords(contentType?: ContentType): Record<string, unknown>[]
  /** Invalidates every issued access token (API answers 401 until a new one is fetched). */
  revokeTokens(): void
  /**
   * Signs an access token directly, e.g. with another `tid` or without roles; `aud: graphUrl`
   * makes a Graph token (with `graphRoles` unless `roles` is given).
   */
  mintAccessToken(overrides?: MintOptions): string
  close(): Promise<void>

  /** `https://127.0.0.1:PORT`: the Graph root, as https://graph.microsoft.com. */
  readonly graphUrl: string
  /** Every Graph audit log query created, deleted ones included, with its status on the emulator clock. */
  readonly graphQueries: readonly GraphQueryView[]
  /** Unified audit logging, tenant-wide (Graph creates and Management starts); settable. */
  auditingEnabled: boolean
  /**
   * The `graph…` options (`graph.queryOutcome` is `graphQueryOutcome`), settable while the
   * emulator runs: a duration, limit or duplicate rate applies to queries created afterwards,
   * an outcome to queries not yet seen finished.
   */
  readonly graph: Omit<GraphSettings, 'now' | 'requiredRole' | 'auditingEnabled'>
}

/** Starts an emulator, on an ephemeral port unless `port` is given. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const tenantId = options.tenantId ?? DEFAULT_TENANT_ID
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID
  const clientSecret = options.clientSecret === null ? undefined : (options.clientSecret ?? DEFAULT_CLIENT_SECRET)
  const now = options.now ?? (() => new Date())
  const seed = options.seed ?? 1
  // The shared certificate covers 127.0.0.1 only; named hosts need one of their own.
  const cert = options.hosts?.length
    ? await createSelfSignedCertificate('127.0.0.1', 'ec', options.hosts)
    : await getServerCertificate()

  // The handlers need the origins, known only once the servers listen; requests arriving
  // before `parts` is set cannot happen because nobody knows the ports yet.
  let parts: ServerParts | undefined
  const getParts = () => {
    if (!parts) throw new Error('emulator not ready')
    return parts
  }
  const tls = { key: cert.keyPem, cert: cert.certPem }
  const server = await listen(tls, getParts, options.port)
  const graphServer = await listen(tls, getParts, options.graphPort, 'graph').catch(async (error: unknown) => {
    await server.close()
    throw error
  })
  const origin = server.origin
  const graphUrl = graphServer.origin
  const trustFile = await writeTrustFile(cert.certPem).catch(async (error: unknown) => {
    await Promise.all([server.close(), graphServer.close()])
    throw error
  })
  const extraResources = typeof options.resource === 'string' ? [options.resource] : (options.resource ?? [])
  const resources = [origin, ...extraResources].map(normaliseResource)
  const extraGraphResources =
    typeof options.graphResource === 'string' ? [options.graphResource] : (options.graphResource ?? [])
  const graphResources = [graphUrl, ...extraGraphResources].map(normaliseResource)
  const auditingEnabled = options.auditingEnabled ?? !(options.auditDisabled ?? false)
  const federated: readonly FederatedCredential[] =
    options.federated === undefined ? [] : 'issuer' in options.federated ? [options.federated] : options.federated

  const rng = new Rng(seed)
  const entra = new Entra({
    origin,
    tenantId,
    clientId,
    ...(clientSecret === undefined ? {} : { clientSecret }),
    ...(options.certificate === undefined ? {} : { certificatePem: options.certificate }),
    federated,
    resources,
    roles: options.roles ?? ['ActivityFeed.Read'],
    graphResources,
    graphRoles: options.graphRoles ?? ['AuditLogsQuery.Read.All'],
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3599,
    now,
    assertionNow: options.assertionNow ?? (() => new Date())
  })
  const feed = new Feed(rng, (options.contentExpiration ?? 7) * DAY)
  const subscriptions = new Subscriptions({
    tenantId,
    now,
    cooldownMs: (options.subscriptionStartCooldownMinutes ?? 15) * MINUTE,
    auditDisabled: !auditingEnabled
  })
  const api = new ActivityApi(
    {
      tenantId,
      pageSize: options.pageSize ?? 5,
      now,
      maxAgeMs: 7 * DAY + (options.retentionGraceMinutes ?? 60) * MINUTE,
      omittedWindowMode: options.omittedWindowMode ?? 'last24h',
      contentRequiresSubscription: options.contentRequiresSubscription ?? false,
      requiredRole: 'ActivityFeed.Read'
    },
    entra,
    subscriptions,
    feed
  )
  const faults = new Faults(rng, now)
  const log = new RequestLog()
  const quota = options.throttle ? new Quota(options.throttle, now) : undefined
  const graphSettings: GraphSettings = {
    now,
    requiredRole: 'AuditLogsQuery.Read.All',
    v1Served: options.graphV1Served ?? false,
    auditingEnabled,
    concurrentQueries: options.graphConcurrentQueries ?? 10,
    dailySubmissions: options.graphDailySubmissions ?? 200,
    retryAfterSeconds: options.graphRetryAfterSeconds,
    queryDurationMs: options.graphQueryDurationMs ?? DEFAULT_GRAPH_QUERY_DURATION_MS,
    queryOutcome: options.graphQueryOutcome,
    recordCountLimit: options.graphRecordCountLimit ?? 1_000_000,
    duplicateRate: options.graphDuplicateRate ?? 0
  }
  const graph = new GraphAuditApi(graphSettings, entra, feed, seed)
  parts = {
    now,
    log,
    faults,
    entra,
    api,
    graph,
    ...(quota ? { quota } : {})
  }
  const generator = new TrafficGenerator(seed, tenantId, (input) => feed.publish(input))

  return {
    url: origin,
    host: `127.0.0.1:${server.port}`,
    tenantId,
    clientId,
    clientSecret,
    authority: `${origin}/${tenantId}`,
    apiRoot: `${origin}/api/v1.0/${tenantId}/activity/feed`,
    resource: origin,
    caCertPem: cert.certPem,
    caCertPath: trustFile.path,
    requests: log,
    faults,
    subscriptions: {
      enable: (ct, since) => subscriptions.enable(ct, since),
      disableByAdmin: (ct, by) => subscriptions.disableByAdmin(ct, by),
      get: (ct) => subscriptions.get(ct),
      reset: (ct) => subscriptions.reset(ct)
    },
    get issuedTokens() {
      return entra.issuedTokens
    },
    signIns: entra.signIns,
    quota,
    generatedDistinct: generator.distinctByDay,
    publish: (input) => feed.publish(input),
    generate: (generateOptions) => generator.generate(generateOptions),
    blobs: (ct) => feed.blobs(ct),
    servedRecords: (ct) => distinctRecords(feed.blobs(ct)),
    revokeTokens: () => entra.revokeTokens(),
    mintAccessToken: (overrides) => entra.mintAccessToken(overrides),
    close: async () => {
      await Promise.all([server.close(), graphServer.close(), trustFile.remove()])
    },
    graphUrl,
    get graphQueries() {
      return graph.views()
    },
    get auditingEnabled() {
      return graphSettings.auditingEnabled
    },
    set auditingEnabled(value) {
      graphSettings.auditingEnabled = value
      subscriptions.setAuditDisabled(!value)
    },
    graph: graphSettings
  }
}

function distinctRecords(blobs: readonly ContentBlob[]): Record<string, unknown>[] {
  const seen = new Map<unknown, Record<string, unknown>>()
  for (const blob of blobs)
    for (const record of blob.records) if (!seen.has(record['Id'])) seen.set(record['Id'], record)
  return [...seen.values()]
}
