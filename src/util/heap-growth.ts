import { setFlagsFromString } from 'node:v8'

/**
 * How much V8 lets its old generation grow past what its last full collection kept, once a
 * run reads a Parquet day back to merge into it: 60 %. Left to itself, V8 picks the factor,
 * up to 4×, from how fast it collects. Reading a day back and writing it anew makes objects
 * per row that live as long as their row group, long enough to reach the old generation,
 * which V8's choice then fills with garbage. Other runs keep V8's choice: the more frequent
 * full collections of a fixed factor cost them CPU. The figures: docs/benchmarks.md, "Heap
 * growth when a Parquet day is read back"; main.ts decides when it applies.
 */
const MERGE_HEAP_GROWING_PERCENT = 60

/**
 * Sets that growth for the rest of the run. V8 reads the flag whenever it sets its next
 * limit, so it holds from the next collection on; the flag is the process's (the action's
 * worker is its only busy isolate).
 */
export function limitHeapGrowthForMerge(): void {
  setFlagsFromString(`--heap-growing-percent=${MERGE_HEAP_GROWING_PERCENT}`)
}
