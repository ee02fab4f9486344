/**
 * A small seeded PRNG (mulberry32) and helpers, so generated traffic and probabilistic faults
 * are the same on every run with the same seed.
 */

/** Deterministic random source. */
export class Rng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    // mulberry32: tiny, fast and good enough for test data.
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)]
    if (item === undefined) throw new Error('pick() from an empty array')
    return item
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      const a = out[i] as T
      out[i] = out[j] as T
      out[j] = a
    }
    return out
  }

  /** `n` lower-case hex digits. */
  hex(n: number): string {
    let out = ''
    for (let i = 0; i < n; i++) out += Math.floor(this.next() * 16).toString(16)
    return out
  }

  /** `n` decimal digits. */
  digits(n: number): string {
    let out = ''
    for (let i = 0; i < n; i++) out += Math.floor(this.next() * 10).toString()
    return out
  }

  /** A version-4-shaped GUID. */
  guid(): string {
    const variant = '89ab'[Math.floor(this.next() * 4)] ?? '8'
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${variant}${this.hex(3)}-${this.hex(12)}`
  }
}
