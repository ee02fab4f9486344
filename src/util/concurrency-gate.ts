/**
 * Runs async tasks with at most `limit` in flight; each starts as soon as a slot is free,
 * so downloads begin while listing goes on. `run` resolves or rejects with its own task.
 */
export function createConcurrencyGate(limit: number): { run<T>(task: () => Promise<T>): Promise<T> } {
  const waiting: (() => void)[] = []
  let running = 0
  // A finishing task hands its slot straight to the next waiter, so no newcomer can slip in
  // between and exceed the limit.
  const release = (): void => {
    const next = waiting.shift()
    if (next) next()
    else running--
  }
  return {
    async run(task) {
      if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve))
      else running++
      try {
        return await task()
      } finally {
        release()
      }
    }
  }
}
