/**
 * A promise-chain mutex: callers run one at a time, in arrival order.
 *
 * git's own compare-and-swap (`update-ref <ref> <new> <old>`) already makes each ref write
 * atomic; the mutex makes the whole read → fast-forward check → write sequence atomic, so two
 * concurrent PATCHes from the same parent get one 200 and one 422, never two 500s.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()

  /** Runs `task` once every earlier task has settled, and returns its result. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task)
    this.tail = result.catch(() => undefined)
    return result
  }
}
