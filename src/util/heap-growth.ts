import { setFlagsFromString } from 'node:v8'

/**
 * How much V8 lets its old generation grow past what its last full collection kept, for a
 * Parquet run: 60 %. Left to itself, V8 picks the factor, up to 4×, from how fast it
 * collects. Parquet's encoder and decoder make objects per row that live as long as their row
 * group, long enough to reach the old generation, and with V8's choice the merging run of a
 * 250,000-record day peaked at 281–322 MB, its old generation mostly garbage; with 1.6×, at
 * 245–281 MB, for the same CPU (measured by `npm run bench`, docs/benchmarks.md). CSV runs
 * keep V8's choice: they hold little in V8's heap, and the more frequent full collections of a
 * fixed factor cost their CPU up to a quarter.
 */
const PARQUET_HEAP_GROWING_PERCENT = 60

/**
 * Sets the growth for a run that writes Parquet. V8 reads the flag whenever it sets its next
 * limit, so this holds from the next collection on; the flag is the process's (the action's
 * worker is its only busy isolate).
 */
export function limitHeapGrowthForParquet(): void {
  setFlagsFromString(`--heap-growing-percent=${PARQUET_HEAP_GROWING_PERCENT}`)
}
