import { afterEach, describe, expect, it, vi } from 'vitest'
import { describeProgress, startProgress, withProgress } from '../../src/report/progress.js'

afterEach(() => {
  vi.useRealTimers()
})

const counts = { windowsListed: 12, windowsTotal: 48, blobsDownloaded: 300, blobsListed: 410, recordsReceived: 250_000 }

describe('progress of long runs', () => {
  it('says what was listed, downloaded and received, the time taken and the rate', () => {
    expect(describeProgress(counts, 125_000)).toBe(
      'Progress after 2 min 05 s: 12 of 48 windows listed, 300 of 410 blobs downloaded, 250,000 records (2,000 a second).'
    )
    expect(describeProgress({ ...counts, recordsReceived: 0 }, 400)).toContain('after 1 s')
  })

  it('logs every interval until stopped, from the counts as they are then', () => {
    vi.useFakeTimers()
    const lines: string[] = []
    let received = 0
    const stop = startProgress(
      () => ({ ...counts, recordsReceived: received }),
      (line) => lines.push(line),
      30_000,
      () => Date.now()
    )
    vi.advanceTimersByTime(29_999)
    expect(lines).toEqual([])
    received = 30_000
    vi.advanceTimersByTime(1)
    received = 90_000
    vi.advanceTimersByTime(30_000)
    stop()
    vi.advanceTimersByTime(120_000)
    expect(lines).toEqual([
      'Progress after 30 s: 12 of 48 windows listed, 300 of 410 blobs downloaded, 30,000 records (1,000 a second).',
      'Progress after 1 min 00 s: 12 of 48 windows listed, 300 of 410 blobs downloaded, 90,000 records (1,500 a second).'
    ])
  })
})

describe('progress around a piece of work', () => {
  it('logs while the work runs and stops when it ends, resolved or thrown', async () => {
    vi.useFakeTimers()
    const lines: string[] = []
    let finish: (value: string) => void = () => undefined
    const work = withProgress(
      () => counts,
      (line) => lines.push(line),
      () => new Promise<string>((resolve) => (finish = resolve)),
      30_000,
      () => Date.now()
    )
    await vi.advanceTimersByTimeAsync(65_000)
    expect(lines).toHaveLength(2)
    finish('done')
    await expect(work).resolves.toBe('done')
    await vi.advanceTimersByTimeAsync(120_000)
    expect(lines).toHaveLength(2)

    const failing = withProgress(
      () => counts,
      (line) => lines.push(line),
      () => new Promise((_, reject) => setTimeout(() => reject(new Error('commit refused')), 31_000)),
      30_000,
      () => Date.now()
    )
    const outcome = expect(failing).rejects.toThrow('commit refused')
    await vi.advanceTimersByTimeAsync(31_000)
    await outcome
    expect(lines).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(120_000)
    expect(lines).toHaveLength(3)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('counts records imported from exports into the rate', () => {
    expect(describeProgress({ ...counts, recordsImported: 50_000 }, 125_000)).toBe(
      'Progress after 2 min 05 s: 50,000 records imported from exports, 12 of 48 windows listed, 300 of 410 blobs downloaded, 250,000 records (2,400 a second).'
    )
  })
})
