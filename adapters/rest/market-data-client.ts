/**
 * The LMA's public book snapshot over HTTP (GET /lma/market-data/book), as the levels an EMA's
 * policy reads. A book the LMA has not opened yet is empty.
 */
import type { BookLevels, LocalBook } from '../../market/ema/venue-ema.js'

export class HttpLocalBook implements LocalBook {
  constructor (private readonly lmaUrl: string, private readonly marketContext: string, private readonly timeoutMs = 10_000) {}

  async levels (dtStart: string, duration: string): Promise<BookLevels> {
    const query = new URLSearchParams({ marketContext: this.marketContext, dtStart, duration })
    const res = await fetch(`${this.lmaUrl}/lma/market-data/book?${query.toString()}`, { signal: AbortSignal.timeout(this.timeoutMs) })
    if (res.status === 404) return { bids: [], asks: [] }
    if (res.status !== 200) throw new Error(`the LMA answered ${res.status} for the book of ${dtStart}`)
    const book = await res.json() as { bids: Array<{ price: string, quantity: string }>, asks: Array<{ price: string, quantity: string }> }
    return { bids: book.bids.map(({ price, quantity }) => ({ price, quantity })), asks: book.asks.map(({ price, quantity }) => ({ price, quantity })) }
  }
}
