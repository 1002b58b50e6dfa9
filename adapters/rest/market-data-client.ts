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

/** One event of the ticker tape: its id (absent on bbo, which is not kept), its name and its data. */
export interface TapeEvent {
  id?: string
  event: string
  data: Record<string, any>
}

export interface MarketDataStreamOptions {
  marketContext?: string
  /** Start after this event (a place kept from an earlier stream). */
  lastEventId?: string
  /** Wait this long before reconnecting after the stream ended or failed. Default 1 s. */
  retryMs?: number
  /** Each event, in order; the stream reads on once the handler has returned (or its promise settled): a slow handler is a slow reader. */
  onEvent: (event: TapeEvent) => void | Promise<void>
  /** A connection failed (it is retried). */
  onError?: (error: unknown) => void
}

/**
 * The LMA's ticker tape (GET /lma/market-data/stream), resumed without a gap: whenever the stream
 * ends (the LMA dropped a reader that fell behind, a restart, the network), it reconnects with the
 * id of the last event it read as Last-Event-ID, and the LMA sends what was missed from its ledger.
 * Every event with an id arrives exactly once, in ledger order.
 */
export class MarketDataStream {
  /** The id of the last event read: where the next connection resumes. */
  lastEventId: string | undefined
  /** Connections made so far. */
  connections = 0
  /** Settles once closed. */
  readonly done: Promise<void>
  private connection: AbortController | undefined
  private closed = false

  constructor (private readonly lmaUrl: string, private readonly options: MarketDataStreamOptions) {
    this.lastEventId = options.lastEventId
    this.done = this.run()
  }

  /** Cuts the current connection, as a network failure would; the stream reconnects and resumes. */
  reconnect (): void {
    this.connection?.abort()
  }

  async close (): Promise<void> {
    this.closed = true
    this.connection?.abort()
    await this.done
  }

  private async run (): Promise<void> {
    while (!this.closed) {
      try {
        await this.connect()
      } catch (error) {
        if (!this.closed && !(error instanceof Error && error.name === 'AbortError')) this.options.onError?.(error)
      }
      if (this.closed) break
      await new Promise((resolve) => setTimeout(resolve, this.options.retryMs ?? 1000))
    }
  }

  private async connect (): Promise<void> {
    const connection = this.connection = new AbortController()
    const query = this.options.marketContext === undefined ? '' : `?${new URLSearchParams({ marketContext: this.options.marketContext }).toString()}`
    const res = await fetch(`${this.lmaUrl}/lma/market-data/stream${query}`, {
      headers: { accept: 'text/event-stream', ...(this.lastEventId !== undefined && { 'last-event-id': this.lastEventId }) },
      signal: connection.signal
    })
    if (res.status !== 200 || res.body === null) throw new Error(`the LMA answered ${res.status} to the market data stream`)
    this.connections++
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true })
      let end
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        await this.dispatch(block)
        if (this.closed) return
      }
    }
  }

  /** One SSE block: fields `id`, `event`, `data` (comments start with ':'). An id is the place to resume from, even without data. */
  private async dispatch (block: string): Promise<void> {
    let id: string | undefined
    let event = 'message'
    const data: string[] = []
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'id') id = value
      else if (field === 'event') event = value
      else if (field === 'data') data.push(value)
    }
    if (id !== undefined) this.lastEventId = id
    if (data.length === 0) return
    await this.options.onEvent({ ...(id !== undefined && { id }), event, data: JSON.parse(data.join('\n')) as Record<string, any> })
  }
}
