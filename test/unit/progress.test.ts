import { afterEach, describe, expect, it, vi } from 'vitest'
import { describeProgress, startProgress } from '../../src/report/progress.js'

afterEach(() => {
  vi.useRealTimers()
})

const counts = { windowsListed: 12, windowsTotal: 48, blobsDownloaded: 300, blobsListed: 410, recordsReceived: 250_000 }

describe('progress of long runs', () => {
  it('says what was listed, downloaded and received, the time taken and the rate', () => {
    expect(describeProgress(counts, 125_000)).toBe('Progress after 2 min 05 s: 12 of 48 windows listed, 300 of 410 blobs downloaded, 250,000 records (2,000 a second).')
    expect(describeProgress({ ...counts, recordsReceived: 0 }, 400)).toContain('after 1 s')
  })

  it('logs every interval until stopped, from the counts as they are then', () => {
    vi.useFakeTimers()
    const lines: string[] = []
    let received = 0
    const stop = startProgress(() => ({ ...counts, recordsReceived: received }), (line) => lines.push(line), 30_000, () => Date.now())
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
