/**
 * A task repeated every few seconds, one run at a time: a slow run is not overtaken by the next
 * (a TEUA would tender twice, an EMA order twice). Failures go to `onError`; the loop goes on.
 */
export function every (seconds: number, task: () => Promise<unknown>, onError: (error: unknown) => void, options: { now?: boolean } = {}): () => void {
  let running = false
  const run = (): void => {
    if (running) return
    running = true
    task().catch(onError).finally(() => { running = false })
  }
  if (options.now === true) run()
  const timer = setInterval(run, seconds * 1000)
  return () => clearInterval(timer)
}
