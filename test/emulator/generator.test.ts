import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTENT_TYPES, DAY, HOUR, startEmulator, type ContentBlob, type Emulator } from './index.js'
import { TestClient } from './test-client.js'

const FROM = new Date('2026-11-19T00:00:00Z')
const TO = new Date('2026-11-20T00:00:00Z')
const NOW = () => new Date('2026-11-20T06:00:00Z')

let emulator: Emulator
let blobs: ContentBlob[]

beforeAll(async () => {
  emulator = await startEmulator({ seed: 42, now: NOW })
  blobs = emulator.generate({
    contentTypes: CONTENT_TYPES,
    from: FROM,
    to: TO,
    blobsPerHour: 2,
    recordsPerBlob: [3, 8],
    duplicateRate: 0.15
  })
})

afterAll(async () => {
  await emulator.close()
})

/** The data a generation produced, minus nothing: ids, times, records in order. */
async function fingerprint(seed: number): Promise<string> {
  const e = await startEmulator({ seed, now: NOW })
  e.generate({ from: FROM, to: new Date(FROM.getTime() + 6 * HOUR) })
  const text = JSON.stringify(e.blobs())
  await e.close()
  return text
}

const records = (ct?: ContentBlob['contentType']) =>
  blobs.filter((b) => !ct || b.contentType === ct).flatMap((b) => b.records)

describe('generate', () => {
  it('is deterministic per seed and differs between seeds', async () => {
    const a = await fingerprint(5)
    expect(await fingerprint(5)).toBe(a)
    expect(await fingerprint(6)).not.toBe(a)
  })

  it('publishes blobsPerHour blobs per content type and hour, inside [from, to), in real contentId shape', () => {
    expect(blobs).toHaveLength(24 * 2 * CONTENT_TYPES.length)
    for (const blob of blobs) {
      expect(blob.contentCreated >= FROM && blob.contentCreated < TO).toBe(true)
      expect(blob.contentId).toMatch(/^\d{23}\$\d{23}\$[a-z_.]+\$[A-Za-z_]+(\$[a-z]{2}\d{4})?$/)
      expect(blob.contentExpiration.getTime() - blob.contentCreated.getTime()).toBe(7 * DAY)
      expect(blob.records.length).toBeGreaterThanOrEqual(3)
      expect(blob.records.length).toBeLessThanOrEqual(8)
    }
  })

  it('writes CreationTime without zone or fraction, never after the blob, mostly within the hour before', () => {
    let fresh = 0
    let late = 0
    for (const blob of blobs) {
      for (const record of blob.records) {
        const text = record['CreationTime'] as string
        expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/)
        const age = blob.contentCreated.getTime() - new Date(`${text}Z`).getTime()
        expect(age).toBeGreaterThan(0)
        if (age <= HOUR) fresh++
        if (age > 2 * HOUR) late++
      }
    }
    const total = records().length
    expect(fresh / total).toBeGreaterThan(0.6)
    expect(late).toBeGreaterThan(0)
  })

  it('includes late blobs holding events days old', () => {
    const daysLate = blobs.filter((b) =>
      b.records.every((r) => b.contentCreated.getTime() - new Date(`${r['CreationTime'] as string}Z`).getTime() > DAY)
    )
    expect(daysLate.length).toBeGreaterThan(0)
  })

  it('carries LaunchPowerApp in both schemas, DeletePowerApp, and the other workloads', () => {
    const general = records('Audit.General')
    const legacy = general.find((r) => r['RecordType'] === 45 && r['Operation'] === 'LaunchPowerApp')
    expect(legacy).toMatchObject({ Workload: 'PowerApps', AppName: expect.stringMatching(/^[0-9a-f-]{36}$/) })
    expect(JSON.parse(legacy!['AdditionalInfo'] as string)).toHaveProperty('environmentName')

    const unified = general.find((r) => r['RecordType'] === 256 && r['Operation'] === 'LaunchPowerApp')
    expect(unified).toMatchObject({ Workload: 'PowerPlatform', RequiresCustomerKeyEncryption: false })
    const props = unified!['PropertyCollection'] as { Name: string; Value: string }[]
    expect(props).toContainEqual({ Name: 'powerplatform.analytics.resource.type', Value: 'PowerApp' })
    expect(props.find((p) => p.Name === 'powerplatform.analytics.resource.power_app.id')?.Value).toMatch(
      /^[0-9a-f-]{36}$/
    )
    expect(props.find((p) => p.Name === 'powerplatform.analytics.activity.id')?.Value).toBe(unified!['Id'])

    expect(general.some((r) => r['Operation'] === 'DeletePowerApp' && r['RecordType'] === 256)).toBe(true)
    const workloads = new Set(records().map((r) => r['Workload']))
    for (const w of [
      'PowerApps',
      'PowerPlatform',
      'MicrosoftTeams',
      'MicrosoftFlow',
      'SharePoint',
      'Exchange',
      'AzureActiveDirectory'
    ]) {
      expect(workloads, w).toContain(w)
    }
  })

  it('repeats records by Id with keys in another order, within and across blobs', () => {
    let within = 0
    let across = 0
    const firstSeen = new Map<unknown, { blob: ContentBlob; keys: string }>()
    for (const blob of blobs) {
      const inBlob = new Set<unknown>()
      for (const record of blob.records) {
        const id = record['Id']
        const keys = Object.keys(record).join(',')
        const seen = firstSeen.get(id)
        if (seen) {
          expect(keys).not.toBe(seen.keys)
          expect(JSON.stringify(Object.entries(record).sort())).toBe(
            JSON.stringify(Object.entries(seen.blob.records.find((r) => r['Id'] === id)!).sort())
          )
          if (inBlob.has(id)) within++
          else across++
        } else {
          firstSeen.set(id, { blob, keys })
        }
        inBlob.add(id)
      }
    }
    expect(within).toBeGreaterThan(0)
    expect(across).toBeGreaterThan(0)
    expect(emulator.servedRecords()).toHaveLength(firstSeen.size)
  })

  it('puts commas, quotes, LF, CRLF and non-ASCII text into values', () => {
    const text = JSON.stringify(records())
    const values: string[] = []
    const collect = (v: unknown): void => {
      if (typeof v === 'string') values.push(v)
      else if (Array.isArray(v)) v.forEach(collect)
      else if (v && typeof v === 'object') Object.values(v).forEach(collect)
    }
    collect(records())
    expect(values.some((v) => v.includes(','))).toBe(true)
    expect(values.some((v) => v.includes('"'))).toBe(true)
    expect(values.some((v) => /[^\r]\n/.test(v))).toBe(true)
    expect(values.some((v) => v.includes('\r\n'))).toBe(true)
    for (const name of ['José Müller', '李小龙', 'Ñandú, Pérez']) expect(text).toContain(name)
  })

  it('serves generated blobs byte-for-byte through the API, duplicates included', async () => {
    const client = new TestClient(emulator)
    await client.login()
    const blob = blobs.find((b) => b.contentCreated.getTime() > NOW().getTime() - 7 * DAY)!
    const answer = await client.api('GET', `audit/${blob.contentId}`)
    expect(answer.text).toBe(JSON.stringify(blob.records))
    await client.close()
  })
})
