/**
 * Runs tasks with at most `limit` in flight, starting each as soon as a slot is free, so
 * downloads begin while listing goes on. After the last `add`, `drain` resolves when all
 * are done, or rejects with the first failure once the tasks already running have settled
 * (no new task starts after a failure).
 */
export function createPool(limit: number): { add(task: () => Promise<void>): void; drain(): Promise<void> } {
  const queue: (() => Promise<void>)[] = []
  let running = 0
  let failure: { error: unknown } | undefined
  let idle: (() => void) | undefined

  const next = (): void => {
    while (running < limit && queue.length > 0 && !failure) {
      const task = queue.shift()
      if (!task) break
      running++
      task()
        .catch((error: unknown) => {
          failure ??= { error }
        })
        .finally(() => {
          running--
          next()
        })
    }
    if (running === 0 && (queue.length === 0 || failure)) idle?.()
  }

  return {
    add(task) {
      queue.push(task)
      next()
    },
    drain() {
      return new Promise<void>((resolve, reject) => {
        idle = () => (failure ? reject(failure.error) : resolve())
        next()
      })
    }
  }
}
