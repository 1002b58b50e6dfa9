/** Waits until a condition holds (polling every 20 ms), or fails the test after `ms`. */
export async function until (condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!condition()) {
    if (Date.now() > end) throw new Error(`not reached within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
