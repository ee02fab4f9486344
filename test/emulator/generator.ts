/**
 * Seeded, deterministic traffic: blobs spread over a time range, records that are mostly
 * fresh but sometimes hours or days late, and duplicates (same `Id`, keys reordered) within
 * and across blobs: the behaviours the Management Activity API's FAQ asks clients to cope with
 * (https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-faq).
 */
import type { ContentType } from './content-types.js'
import type { ContentBlob, PublishInput } from './feed.js'
import { KINDS_BY_CONTENT_TYPE, makeRecord } from './records.js'
import { Rng } from './rng.js'

/** A share of blobs whose events are `minMinutes`–`maxMinutes` older than the blob. */
export interface LatenessBand {
  share: number
  minMinutes: number
  maxMinutes: number
}

/**
 * Default delay profile, after the Power Platform latency users measured and reported in
 * https://github.com/microsoft/coe-starter-kit/issues/9190 (~80 % within an hour, ~95 % within
 * a day, the rest within the 7-day retention).
 */
export const DEFAULT_LATENESS: readonly LatenessBand[] = [
  { share: 0.8, minMinutes: 0, maxMinutes: 60 },
  { share: 0.15, minMinutes: 60, maxMinutes: 24 * 60 },
  { share: 0.05, minMinutes: 24 * 60, maxMinutes: 6 * 24 * 60 }
]

/** What to generate. */
export interface GenerateOptions {
  /** Default `['Audit.General']`. */
  contentTypes?: readonly ContentType[]
  /** `contentCreated` of generated blobs lies in `[from, to)`. */
  from: Date
  to: Date
  /** Default 2. */
  blobsPerHour?: number
  /** A fixed count or an inclusive `[min, max]` range; default `[3, 8]`. */
  recordsPerBlob?: number | readonly [number, number]
  /** Default {@link DEFAULT_LATENESS}. */
  lateness?: readonly LatenessBand[]
  /** Probability that a record slot repeats an earlier record; default 0.1. */
  duplicateRate?: number
  /** Publish the blobs' bodies only, not their records (see ContentBlob.body). */
  compact?: boolean
}

/** How many earlier records a duplicate may be drawn from (keeps repeats recent). */
const DUPLICATE_HORIZON = 200

/** Generates and publishes records; one instance per emulator, seeded once. */
export class TrafficGenerator {
  private readonly rng: Rng
  private index = 0
  private readonly recent = new Map<ContentType, Record<string, unknown>[]>()
  private readonly cycle = new Map<ContentType, number>()
  /** Records generated (not repeats) per `type|YYYY-MM-DD` of their CreationTime: the distinct records a day should hold. */
  readonly distinctByDay = new Map<string, number>()

  constructor(
    seed: number,
    private readonly tenantId: string,
    private readonly publish: (input: PublishInput) => ContentBlob
  ) {
    // Its own stream, so generated data does not shift when faults draw random numbers.
    this.rng = new Rng(seed ^ 0x9e3779b9)
    this.index = this.rng.int(0, 1000)
  }

  /** Publishes the blobs for `options` and returns them in creation order. */
  generate(options: GenerateOptions): ContentBlob[] {
    const contentTypes = options.contentTypes ?? ['Audit.General']
    const perHour = options.blobsPerHour ?? 2
    const hourMs = 3_600_000
    const out: ContentBlob[] = []
    for (let hour = options.from.getTime(); hour < options.to.getTime(); hour += hourMs) {
      for (const contentType of contentTypes) {
        for (let i = 0; i < perHour; i++) {
          // Spread blobs over the hour, whole milliseconds, never past `to`.
          const created = Math.floor(hour + ((i + this.rng.next()) * hourMs) / perHour)
          if (created >= options.to.getTime()) continue
          out.push(this.blob(contentType, new Date(created), options))
        }
      }
    }
    return out
  }

  private blob(contentType: ContentType, created: Date, options: GenerateOptions): ContentBlob {
    const band = this.pickBand(options.lateness ?? DEFAULT_LATENESS)
    const count = this.recordCount(options.recordsPerBlob ?? [3, 8])
    const duplicateRate = options.duplicateRate ?? 0.1
    const recent = this.recent.get(contentType) ?? []
    this.recent.set(contentType, recent)
    const records: Record<string, unknown>[] = []
    for (let n = 0; n < count; n++) {
      const source = this.rng.chance(duplicateRate) ? this.duplicateSource(records, recent) : undefined
      if (source) {
        records.push(reorderKeys(source, this.rng))
        continue
      }
      const ageMs = (band.minMinutes + this.rng.next() * (band.maxMinutes - band.minMinutes)) * 60_000
      const record = makeRecord(this.nextKind(contentType), {
        rng: this.rng,
        tenantId: this.tenantId,
        // At least one second before the blob: an event cannot be published before it happens.
        creationTime: new Date(created.getTime() - Math.max(1_000, ageMs)),
        index: this.index++
      })
      records.push(record)
      const key = `${contentType}|${String(record['CreationTime']).slice(0, 10)}`
      this.distinctByDay.set(key, (this.distinctByDay.get(key) ?? 0) + 1)
    }
    recent.push(...records)
    if (recent.length > DUPLICATE_HORIZON) recent.splice(0, recent.length - DUPLICATE_HORIZON)
    return this.publish({
      contentType,
      contentCreated: created,
      records,
      ...(options.compact ? { compact: true } : {})
    })
  }

  /** Half the duplicates repeat a record of the same blob, half one of an earlier blob. */
  private duplicateSource(
    current: Record<string, unknown>[],
    earlier: Record<string, unknown>[]
  ): Record<string, unknown> | undefined {
    const pool = current.length > 0 && (earlier.length === 0 || this.rng.chance(0.5)) ? current : earlier
    return pool.length > 0 ? this.rng.pick(pool) : undefined
  }

  private nextKind(contentType: ContentType) {
    const kinds = KINDS_BY_CONTENT_TYPE[contentType]
    const at = this.cycle.get(contentType) ?? this.rng.int(0, kinds.length - 1)
    this.cycle.set(contentType, at + 1)
    return kinds[at % kinds.length] ?? kinds[0] ?? 'teams'
  }

  private pickBand(bands: readonly LatenessBand[]): LatenessBand {
    const total = bands.reduce((sum, b) => sum + b.share, 0)
    let roll = this.rng.next() * total
    for (const band of bands) {
      roll -= band.share
      if (roll < 0) return band
    }
    return bands.at(-1) ?? { share: 1, minMinutes: 0, maxMinutes: 60 }
  }

  private recordCount(spec: number | readonly [number, number]): number {
    return typeof spec === 'number' ? spec : this.rng.int(spec[0], spec[1])
  }
}

/** The same record with its keys in a different order (the service's duplicates do this). */
export function reorderKeys(record: Record<string, unknown>, rng: Rng): Record<string, unknown> {
  const keys = Object.keys(record)
  let order = rng.shuffle(keys)
  if (keys.length > 1 && order.every((k, i) => k === keys[i])) order = [...keys].reverse()
  return Object.fromEntries(order.map((k) => [k, record[k]]))
}
