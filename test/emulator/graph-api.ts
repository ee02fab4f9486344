/**
 * Microsoft Graph's audit log query API (beta) on the emulator's second listener:
 * `/beta/security/auditLog/queries` (create, list), `…/{id}` (status, delete) and
 * `…/{id}/records` (paged results), after
 * https://learn.microsoft.com/graph/api/resources/security-auditlogquery and
 * https://learn.microsoft.com/graph/api/security-auditcoreroot-post-auditlogqueries.
 *
 * A query searches the same records the Management API serves from its blobs, but only those
 * already ingested when it finished: a late record is missing from a query that completed
 * before its blob appeared. Queries run on the emulator clock. What Microsoft leaves
 * undocumented (limits, error texts, the records call before completion, DELETE, ordering) is
 * chosen next to the code.
 */
import { DAY, MINUTE } from './clock.js'
import type { Entra } from './entra.js'
import type { ContentBlob, Feed } from './feed.js'
import { GRAPH_WWW_AUTHENTICATE, graphEmpty, graphError, graphJson, retryAfter } from './graph-http.js'
import { canonicalRecordTypeName, creationTimeMs, graphRecordTypeName, toGraphAuditLogRecord } from './graph-records.js'
import type { EmulatorRequest, EmulatorResponse, GraphRoute } from './http.js'
import { Rng } from './rng.js'

/** A query's `status` (Graph's auditLogQueryStatus, without unknownFutureValue). */
export type GraphQueryStatus = 'notStarted' | 'running' | 'succeeded' | 'failed' | 'cancelled'

/** How a query ends. */
export type GraphQueryOutcome = 'succeeded' | 'failed' | 'cancelled'

/** The filters a query was created with, as the service echoes them. */
export interface GraphQueryFilters {
  recordTypeFilters: readonly string[]
  keywordFilter: string | null
  serviceFilters: readonly string[]
  operationFilters: readonly string[]
  userPrincipalNameFilters: readonly string[]
  ipAddressFilters: readonly string[]
  objectIdFilters: readonly string[]
  administrativeUnitIdFilters: readonly string[]
}

/** A query as tests see it (`emulator.graphQueries`). */
export interface GraphQueryView {
  id: string
  displayName: string | null
  filterStartDateTime: Date
  filterEndDateTime: Date
  /** On the emulator clock, now. */
  status: GraphQueryStatus
  submittedAt: Date
  /** When it finishes, or finished: submittedAt plus its duration. */
  completedAt: Date
  filters: GraphQueryFilters
  /** Deleted through `DELETE …/queries/{id}`: gone from the API, kept here. */
  deleted: boolean
}

/** What `graphQueryOutcome` is asked about: the query, without a status (it decides it). */
export type GraphQueryOutcomeInput = Omit<GraphQueryView, 'status'>

/** What a `graphQueryDurationMs` function is given. */
export interface GraphDurationInput {
  filterStartDateTime: Date
  filterEndDateTime: Date
  /** Records the query would find if it finished at submission (filters applied, no limit). */
  recordCount: number
}

/** Behaviour of the Graph listener; the emulator object exposes every field as a setter. */
export interface GraphSettings {
  now: () => Date
  /** The application permission every call needs. */
  requiredRole: string
  /** Serve `/v1.0/…` like `/beta/…`; otherwise it answers 404 as it did while the API was beta-only. */
  v1Served: boolean
  auditingEnabled: boolean
  /** Queries not finished (notStarted or running) at which a create answers 429. */
  concurrentQueries: number
  /** Creates in the rolling 24 h at which a create answers 429. */
  dailySubmissions: number
  /** `Retry-After` of a throttled create; undefined sends none. */
  retryAfterSeconds: number | undefined
  /** Time from submission to completion, fixed at submission. */
  queryDurationMs: number | ((input: GraphDurationInput) => number)
  /** How a query ends; asked once per query, when the clock first shows it finished. Default: succeeded. */
  queryOutcome: ((query: GraphQueryOutcomeInput) => GraphQueryOutcome) | undefined
  /** Records a query returns at most (fixed at submission). */
  recordCountLimit: number
  /** Chance (0..1) that a record is returned twice by a query (seeded). */
  duplicateRate: number
}

/** Default `graphQueryDurationMs`. */
export const DEFAULT_GRAPH_QUERY_DURATION_MS = 2 * MINUTE
/** Default and largest `$top` of the records call. */
const DEFAULT_TOP = 100
const MAX_TOP = 1000

interface StoredQuery {
  id: string
  displayName: string | null
  start: number
  end: number
  filters: GraphQueryFilters
  submittedAt: number
  durationMs: number
  recordCountLimit: number
  deleted: boolean
  outcome?: GraphQueryOutcome
  snapshot?: Snapshot
}

/** The result of a succeeded query, taken once. */
interface Snapshot {
  /** Source records (Management API shape) in the order the pages return them, duplicates included. */
  records: Record<string, unknown>[]
  /** Distinct matches before the record-count limit. */
  matched: number
  exceeded: boolean
}

/** A Graph path, parsed. */
interface GraphPath {
  version?: 'beta' | 'v1.0'
  queryId?: string
  records: boolean
  /** The segment Graph would name as not found; set for any path the emulator does not serve. */
  badSegment?: string
}

const QUERY_SEGMENTS = ['security', 'auditlog', 'queries'] as const

/** Parses `/{version}/security/auditLog/queries[/{id}[/records]]`; fixed segments ignore case, as Graph's do. */
export function parseGraphPath(pathname: string): GraphPath {
  const segments = pathname
    .split('/')
    .filter((s) => s !== '')
    .map(safeDecode)
  const first = segments[0] ?? ''
  const version = first.toLowerCase()
  if (version !== 'beta' && version !== 'v1.0') return { records: false, badSegment: first }
  for (const [index, expected] of QUERY_SEGMENTS.entries()) {
    const segment = segments[index + 1]
    if (segment?.toLowerCase() !== expected)
      return { version, records: false, badSegment: segment ?? segments.at(-1) ?? first }
  }
  const queryId = segments[4]
  const rest = segments.slice(5)
  if (queryId === undefined) return { version, records: false }
  if (rest.length === 0) return { version, queryId, records: false }
  if (rest.length === 1 && rest[0]?.toLowerCase() === 'records') return { version, queryId, records: true }
  return {
    version,
    queryId,
    records: false,
    badSegment: (rest[0]?.toLowerCase() === 'records' ? rest[1] : rest[0]) ?? ''
  }
}

/** The route of a request to the Graph listener; list and create share a path, as status and delete do. */
export function classifyGraph(
  method: string,
  pathname: string
): { route: GraphRoute; queryId?: string; graphVersion?: 'beta' | 'v1.0' } {
  const path = parseGraphPath(pathname)
  const known = {
    ...(path.version === undefined ? {} : { graphVersion: path.version }),
    ...(path.queryId === undefined ? {} : { queryId: path.queryId })
  }
  if (path.badSegment !== undefined) return { route: 'graph-unknown', ...known }
  if (path.queryId === undefined) return { route: method === 'POST' ? 'graph-create' : 'graph-list', ...known }
  if (path.records) return { route: 'graph-records', ...known }
  return { route: method === 'DELETE' ? 'graph-delete' : 'graph-status', ...known }
}

/** The audit log query API of one tenant. */
export class GraphAuditApi {
  private readonly queries: StoredQuery[] = []
  private readonly submissions: number[] = []
  /** Own streams, so Graph traffic does not shift content ids, generated data or fault draws. */
  private readonly idRng: Rng
  private readonly duplicateRng: Rng

  constructor(
    readonly settings: GraphSettings,
    private readonly entra: Entra,
    private readonly feed: Feed,
    seed: number
  ) {
    this.idRng = new Rng(seed ^ 0x510e527f)
    this.duplicateRng = new Rng(seed ^ 0x5be0cd19)
  }

  /** Every query ever created, deleted ones included, in creation order. */
  views(): GraphQueryView[] {
    const now = this.settings.now().getTime()
    return this.queries.map((q) => ({ ...this.outcomeInput(q), status: this.statusAt(q, now) }))
  }

  /** Answers one request to the Graph listener. */
  handle(req: EmulatorRequest): EmulatorResponse {
    const now = this.settings.now()
    const token = this.entra.validateGraphToken(req.headers.authorization)
    if ('refused' in token)
      return graphError(401, 'InvalidAuthenticationToken', token.refused, req, now, {
        'WWW-Authenticate': GRAPH_WWW_AUTHENTICATE
      })
    const path = parseGraphPath(req.url.pathname)
    if (path.version === undefined)
      return graphError(400, 'BadRequest', `Invalid version: ${path.badSegment ?? ''}`, req, now)
    if (path.badSegment !== undefined)
      return graphError(404, 'BadRequest', `Resource not found for the segment '${path.badSegment}'.`, req, now)
    // While the API was beta-only, v1.0 answered this bare 404 (no workload serves the path).
    if (path.version === 'v1.0' && !this.settings.v1Served) return graphError(404, 'UnknownError', '', req, now)
    const allowed = req.route === 'graph-create' ? 'POST' : req.route === 'graph-delete' ? 'DELETE' : 'GET'
    if (req.method !== allowed)
      return graphError(
        405,
        'BadRequest',
        `The requested resource does not support http method '${req.method}'.`,
        req,
        now
      )
    const roles = Array.isArray(token.claims.roles) ? token.claims.roles : []
    // The per-service permissions (AuditLogsQuery-Exchange.Read.All, …) are not modelled: without
    // the all-services one the app gets what CoE users saw (microsoft/coe-starter-kit#10133).
    if (!roles.includes(this.settings.requiredRole))
      return graphError(
        403,
        'UnknownError',
        JSON.stringify({ message: `App:${token.claims.appid} dont have any permissions` }),
        req,
        now
      )
    const version = path.version
    if (req.route === 'graph-create') return this.create(req, now, version)
    if (req.route === 'graph-list') return this.list(req, version)
    const query = this.queries.find((q) => q.id === path.queryId && !q.deleted)
    if (!query)
      return graphError(404, 'NotFound', `The audit log query '${path.queryId ?? ''}' was not found.`, req, now)
    if (req.route === 'graph-delete') {
      // Undocumented; CIPP deletes its queries and gets 204.
      query.deleted = true
      return graphEmpty(204, req)
    }
    if (req.route === 'graph-records') return this.records(req, now, version, query)
    return graphJson(
      200,
      {
        '@odata.context': `${req.url.origin}/${version}/$metadata#security/auditLog/queries/$entity`,
        ...this.json(query, now)
      },
      req
    )
  }

  private create(req: EmulatorRequest, now: Date, version: string): EmulatorResponse {
    const s = this.settings
    const input = parseCreateBody(req.body)
    if (!input) return graphError(400, 'BadRequest', 'Invalid request data', req, now)
    if (!s.auditingEnabled)
      return graphError(
        400,
        'UnknownError',
        JSON.stringify({
          message: 'Auditing is not turned on for this organization; turn it on in the Microsoft Purview portal.',
          Status: 'AuditingDisabledTenant'
        }),
        req,
        now
      )
    const t = now.getTime()
    // Graph documents neither limit nor the text of its 429; the defaults (10 unfinished, 200 a
    // day) are assumptions a test can change. Graph often throttles without Retry-After.
    const unfinished = this.queries.filter((q) => !q.deleted && isUnfinished(this.statusAt(q, t))).length
    const today = this.submissions.filter((at) => at > t - DAY).length
    const tooMany =
      unfinished >= s.concurrentQueries
        ? `Too many concurrent audit log queries: ${unfinished} are not finished (limit ${s.concurrentQueries}).`
        : today >= s.dailySubmissions
          ? `Too many audit log queries in 24 hours (limit ${s.dailySubmissions}).`
          : undefined
    if (tooMany) return graphError(429, 'TooManyRequests', tooMany, req, now, retryAfter(s.retryAfterSeconds))

    const durationMs =
      typeof s.queryDurationMs === 'number'
        ? s.queryDurationMs
        : s.queryDurationMs({
            filterStartDateTime: new Date(input.start),
            filterEndDateTime: new Date(input.end),
            recordCount: this.matching(input.filters, input.start, input.end, t).length
          })
    if (!Number.isFinite(durationMs) || durationMs < 0) throw new Error(`graphQueryDurationMs gave ${durationMs}`)
    const query: StoredQuery = {
      id: this.idRng.guid(),
      displayName: input.displayName,
      start: input.start,
      end: input.end,
      filters: input.filters,
      submittedAt: t,
      durationMs,
      recordCountLimit: s.recordCountLimit,
      deleted: false
    }
    this.queries.push(query)
    this.submissions.push(t)
    return graphJson(
      201,
      {
        '@odata.context': `${req.url.origin}/${version}/$metadata#security/auditLog/queries/$entity`,
        // A new query is always reported notStarted, even one set to take no time at all.
        ...this.json(query, now, 'notStarted')
      },
      req
    )
  }

  private list(req: EmulatorRequest, version: string): EmulatorResponse {
    const now = this.settings.now()
    return graphJson(
      200,
      {
        '@odata.context': `${req.url.origin}/${version}/$metadata#security/auditLog/queries`,
        value: this.queries.filter((q) => !q.deleted).map((q) => this.json(q, now))
      },
      req
    )
  }

  private records(req: EmulatorRequest, now: Date, version: string, query: StoredQuery): EmulatorResponse {
    const status = this.statusAt(query, now.getTime())
    // Undocumented: asked for records too early, the service refuses with a 400 rather than an
    // empty page, so a client that does not poll first notices.
    if (status !== 'succeeded') {
      const why = isUnfinished(status) ? 'is not complete yet' : 'did not succeed'
      return graphError(400, 'BadRequest', `The audit log query ${why}; its status is '${status}'.`, req, now)
    }
    const topText = req.query.get('$top')
    let top = DEFAULT_TOP
    if (topText !== undefined) {
      if (!/^\d+$/.test(topText))
        return graphError(
          400,
          'BadRequest',
          `Invalid value '${topText}' for $top query option found. The $top query option requires a non-negative integer value.`,
          req,
          now
        )
      top = Number(topText)
      if (top > MAX_TOP)
        return graphError(
          400,
          'BadRequest',
          `The limit of '${MAX_TOP}' for Top query has been exceeded. The value from the incoming request is '${topText}'.`,
          req,
          now
        )
    }
    const snapshot = this.snapshotOf(query)
    const skipToken = req.query.get('$skiptoken')
    const offset = skipToken === undefined ? 0 : decodeSkipToken(skipToken, query.id, snapshot.records.length)
    if (offset === undefined) return graphError(400, 'BadRequest', 'The $skiptoken is not valid.', req, now)
    const page = snapshot.records.slice(offset, offset + top)
    const nextOffset = offset + page.length
    const base = `${req.url.origin}/${version}/security/auditLog/queries/${query.id}/records`
    return graphJson(
      200,
      {
        '@odata.context': `${req.url.origin}/${version}/$metadata#security/auditLog/queries('${query.id}')/records`,
        value: page.map(toGraphAuditLogRecord),
        ...(top > 0 && nextOffset < snapshot.records.length
          ? { '@odata.nextLink': `${base}?$top=${top}&$skiptoken=${encodeSkipToken(query.id, nextOffset)}` }
          : {})
      },
      req
    )
  }

  /** The query object as Graph shows it; the count fields appear once it succeeded. */
  private json(q: StoredQuery, now: Date, status = this.statusAt(q, now.getTime())): Record<string, unknown> {
    const f = q.filters
    const result =
      status === 'succeeded'
        ? (() => {
            const snapshot = this.snapshotOf(q)
            return {
              approximateReturnedRecordCount: snapshot.matched,
              isRecordCountLimitExceeded: snapshot.exceeded,
              recordCountLimit: q.recordCountLimit
            }
          })()
        : {}
    return {
      id: q.id,
      displayName: q.displayName,
      filterStartDateTime: formatGraphDate(q.start),
      filterEndDateTime: formatGraphDate(q.end),
      recordTypeFilters: [...f.recordTypeFilters],
      keywordFilter: f.keywordFilter,
      serviceFilters: [...f.serviceFilters],
      operationFilters: [...f.operationFilters],
      userPrincipalNameFilters: [...f.userPrincipalNameFilters],
      ipAddressFilters: [...f.ipAddressFilters],
      objectIdFilters: [...f.objectIdFilters],
      administrativeUnitIdFilters: [...f.administrativeUnitIdFilters],
      status,
      ...result
    }
  }

  /** notStarted for the first tenth of its duration, running until it ends, then its outcome. */
  private statusAt(q: StoredQuery, now: number): GraphQueryStatus {
    if (now < q.submittedAt + q.durationMs / 10) return 'notStarted'
    if (now < q.submittedAt + q.durationMs) return 'running'
    q.outcome ??= this.settings.queryOutcome?.(this.outcomeInput(q)) ?? 'succeeded'
    return q.outcome
  }

  private outcomeInput(q: StoredQuery): GraphQueryOutcomeInput {
    return {
      id: q.id,
      displayName: q.displayName,
      filterStartDateTime: new Date(q.start),
      filterEndDateTime: new Date(q.end),
      submittedAt: new Date(q.submittedAt),
      completedAt: new Date(q.submittedAt + q.durationMs),
      filters: q.filters,
      deleted: q.deleted
    }
  }

  /**
   * The result, taken the first time anyone looks after completion, with the ingestion cut at
   * the completion time: the records the service had when it finished, not those of the moment
   * the test reads them.
   */
  private snapshotOf(q: StoredQuery): Snapshot {
    if (q.snapshot) return q.snapshot
    const matches = this.matching(q.filters, q.start, q.end, q.submittedAt + q.durationMs)
    q.snapshot = {
      records: this.withDuplicates(matches.slice(0, q.recordCountLimit)),
      matched: matches.length,
      exceeded: matches.length > q.recordCountLimit
    }
    return q.snapshot
  }

  /**
   * Distinct records (by Id) with `start <= CreationTime < end` from blobs created by `cut`,
   * across all content types, ordered by CreationTime then Id. Graph documents no order; by
   * time makes "cut at the limit" keep the earliest, as a time-sliced search would.
   */
  private matching(filters: GraphQueryFilters, start: number, end: number, cut: number): Record<string, unknown>[] {
    const accept = recordFilter(filters)
    const seen = new Set<string>()
    const found: { record: Record<string, unknown>; at: number; id: string }[] = []
    for (const blob of this.feed.blobs()) {
      if (blob.contentCreated.getTime() > cut) continue
      for (const record of recordsOf(blob)) {
        const at = creationTimeMs(record)
        if (at === undefined || at < start || at >= end) continue
        const id = String(record['Id'])
        if (seen.has(id) || !accept(record)) continue
        seen.add(id)
        found.push({ record, at, id })
      }
    }
    found.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    return found.map((f) => f.record)
  }

  /** Each record, with `duplicateRate`'s chance, appears again a little later (possibly on a later page). */
  private withDuplicates(records: Record<string, unknown>[]): Record<string, unknown>[] {
    const rate = this.settings.duplicateRate
    if (rate <= 0) return records
    const out: Record<string, unknown>[] = []
    const pending: { after: number; record: Record<string, unknown> }[] = []
    records.forEach((record, index) => {
      out.push(record)
      if (this.duplicateRng.chance(rate)) pending.push({ after: index + this.duplicateRng.int(0, 50), record })
      for (let i = pending.length - 1; i >= 0; i--) {
        if (pending[i]!.after > index) continue
        out.push(pending[i]!.record)
        pending.splice(i, 1)
      }
    })
    for (const p of pending) out.push(p.record)
    return out
  }
}

function isUnfinished(status: GraphQueryStatus): boolean {
  return status === 'notStarted' || status === 'running'
}

/** The records of a blob, compact ones parsed from their body. */
function recordsOf(blob: ContentBlob): readonly Record<string, unknown>[] {
  if (!blob.body) return blob.records
  const parsed: unknown = JSON.parse(blob.body.toString('utf8'))
  return Array.isArray(parsed) ? (parsed as Record<string, unknown>[]) : []
}

/** Case-insensitive filters on Operation, record type name, Workload, UserId, ClientIP, ObjectId; keyword anywhere. */
function recordFilter(f: GraphQueryFilters): (record: Record<string, unknown>) => boolean {
  const setOf = (values: readonly string[]) => (values.length === 0 ? undefined : new Set(values.map(lower)))
  const checks: [Set<string> | undefined, (r: Record<string, unknown>) => unknown][] = [
    [setOf(f.operationFilters), (r) => r['Operation']],
    [setOf(f.recordTypeFilters), (r) => graphRecordTypeName(r['RecordType'])],
    [setOf(f.serviceFilters), (r) => r['Workload']],
    [setOf(f.userPrincipalNameFilters), (r) => r['UserId']],
    [setOf(f.ipAddressFilters), (r) => r['ClientIP']],
    [setOf(f.objectIdFilters), (r) => r['ObjectId']]
  ]
  const keyword = f.keywordFilter ? lower(f.keywordFilter) : undefined
  // No feed record carries an administrative unit, so any such filter matches nothing.
  const noUnits = f.administrativeUnitIdFilters.length === 0
  return (record) =>
    noUnits &&
    checks.every(([wanted, field]) => {
      if (!wanted) return true
      const value = field(record)
      return value !== undefined && value !== null && wanted.has(lower(String(value)))
    }) &&
    (keyword === undefined || lower(JSON.stringify(record)).includes(keyword))
}

function lower(text: string): string {
  return text.toLowerCase()
}

interface CreateInput {
  displayName: string | null
  start: number
  end: number
  filters: GraphQueryFilters
}

/** The create body, or undefined for what Graph calls "Invalid request data". */
function parseCreateBody(body: string): CreateInput | undefined {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return undefined
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined
  const b = json as Record<string, unknown>
  const start = parseGraphDate(b['filterStartDateTime'])
  const end = parseGraphDate(b['filterEndDateTime'])
  if (start === undefined || end === undefined || end < start) return undefined
  const lists = {
    recordTypeFilters: stringList(b['recordTypeFilters']),
    serviceFilters: stringList(b['serviceFilters']),
    operationFilters: stringList(b['operationFilters']),
    userPrincipalNameFilters: stringList(b['userPrincipalNameFilters']),
    ipAddressFilters: stringList(b['ipAddressFilters']),
    objectIdFilters: stringList(b['objectIdFilters']),
    administrativeUnitIdFilters: stringList(b['administrativeUnitIdFilters'])
  }
  const serviceFilter = b['serviceFilter']
  const keyword = b['keywordFilter']
  const displayName = b['displayName']
  if (Object.values(lists).some((l) => l === undefined)) return undefined
  if (serviceFilter !== undefined && serviceFilter !== null && typeof serviceFilter !== 'string') return undefined
  if (keyword !== undefined && keyword !== null && typeof keyword !== 'string') return undefined
  if (displayName !== undefined && displayName !== null && typeof displayName !== 'string') return undefined
  // The beta schema names a single `serviceFilter`, the v1.0 one a `serviceFilters` list; both are accepted.
  const services = [
    ...lists.serviceFilters!,
    ...(typeof serviceFilter === 'string' && serviceFilter ? [serviceFilter] : [])
  ]
  return {
    displayName: displayName ?? null,
    start,
    end,
    filters: {
      recordTypeFilters: lists.recordTypeFilters!.map(canonicalRecordTypeName),
      keywordFilter: keyword || null,
      serviceFilters: [...new Set(services)],
      operationFilters: lists.operationFilters!,
      userPrincipalNameFilters: lists.userPrincipalNameFilters!,
      ipAddressFilters: lists.ipAddressFilters!,
      objectIdFilters: lists.objectIdFilters!,
      administrativeUnitIdFilters: lists.administrativeUnitIdFilters!
    }
  }
}

function stringList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return []
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? [...value] : undefined
}

const GRAPH_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?$/i

/**
 * A DateTimeOffset as milliseconds, whole seconds (the service echoes seconds, and the filter
 * is what it echoes). A value without a zone is UTC; a date alone is its midnight.
 */
export function parseGraphDate(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined
  const m = GRAPH_DATE.exec(value)
  if (!m) return undefined
  const [, y, mo, d, h = '00', mi = '00'] = m
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)))
  if (day.getUTCDate() !== Number(d) || day.getUTCMonth() !== Number(mo) - 1 || Number(h) > 23 || Number(mi) > 59)
    return undefined
  const text = m[4] === undefined ? `${value}T00:00:00Z` : m[7] === undefined ? `${value}Z` : value
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000) * 1000
}

/** `2026-11-20T00:00:00Z`, as the service echoes the window. */
export function formatGraphDate(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`
}

/** Opaque to clients; names the query so a token cannot be replayed against another one. */
function encodeSkipToken(queryId: string, offset: number): string {
  return Buffer.from(`${offset}|${queryId}`, 'utf8').toString('base64url')
}

function decodeSkipToken(token: string, queryId: string, length: number): number | undefined {
  const m = /^(\d+)\|(.+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'))
  if (!m || m[2] !== queryId) return undefined
  const offset = Number(m[1])
  return offset <= length ? offset : undefined
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
