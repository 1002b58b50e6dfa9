/**
 * A Transactive Energy User Agent: the one way a participant (and its supervisory controller)
 * talks to the market. It sends tenders and cancels to the LMA, receives its transactions
 * (eiCreateTransaction, answered with eiCreatedTransaction), and keeps its own record of tenders,
 * transactions and position. Transport-agnostic: the LMA is reached through an LmaClient.
 */
import { randomUUID } from 'node:crypto'
import type { Payload, PayloadName } from '../../schemas/registry.js'
import { fromTicks, toTicks } from '../../schemas/decimal.js'
import type { MarketRules } from '../../schemas/extensions.js'

export interface LmaReply<N extends PayloadName = PayloadName> {
  status: number
  payload: Payload<N>
}

/** Sends a CTS request to the LMA and returns its answer (adapters/rest/lma-client.ts over HTTP). */
export interface LmaClient {
  call: <N extends PayloadName>(request: PayloadName, answer: N, body: unknown) => Promise<LmaReply<N>>
}

/** What the SC asks for: buy or sell `quantity` at `price` (decimal strings) for one interval. */
export interface TenderOrder {
  side: 'buy' | 'sell'
  price: string
  quantity: string
  dtStart: string
  /** All or nothing (emix:integralOnly). */
  integralOnly?: boolean
}

export interface OwnTender extends TenderOrder {
  tenderID: string
  status: 'open' | 'filled' | 'canceled' | 'refused'
  filled: string
}

export interface OwnTransaction {
  transactionID: string
  tenderID?: string
  counterPartyID: string
  side: 'buy' | 'sell'
  price: string
  quantity: string
  dtStart: string
}

export class TeuaError extends Error {
  constructor (readonly status: number, readonly responseCode: string, description: string) {
    super(description)
    this.name = 'TeuaError'
  }
}

export class TransactiveEnergyUserAgent {
  readonly tenders = new Map<string, OwnTender>()
  readonly transactions = new Map<string, OwnTransaction>()
  private readonly listeners = new Set<(t: OwnTransaction) => void>()
  private counter = 0

  constructor (
    readonly partyID: string,
    private readonly lma: LmaClient,
    /** The market this TEUA trades in (from eiReplyMarketRules). */
    readonly market: MarketRules,
    private readonly lmaPartyID = 'lma'
  ) {}

  private nextID (kind: string): string {
    return `${this.partyID}-${kind}-${++this.counter}-${randomUUID().slice(0, 8)}`
  }

  /** Sends eiCreateTender for one interval; throws TeuaError with the LMA's code if refused. */
  async tender (order: TenderOrder): Promise<OwnTender> {
    const tenderID = this.nextID('t')
    const own: OwnTender = { ...order, tenderID, status: 'open', filled: fromTicks(0n, this.market.quantityScale) }
    this.tenders.set(tenderID, own)
    const reply = await this.lma.call('eiCreateTender', 'eiCreatedTender', {
      requestID: this.nextID('r'), partyID: this.partyID, counterPartyID: this.lmaPartyID,
      eiTender: [{
        tenderID,
        product: {
          dtStart: order.dtStart, duration: this.market.duration,
          temixPower: { price: order.price, energyReal: this.market.energyReal, quantity: order.quantity },
          uid: tenderID, transactiveState: 'tender', currency: this.market.currency, marketContext: this.market.marketContext,
          side: order.side, ...(order.integralOnly === true && { integralOnly: true })
        }
      }]
    })
    if (reply.status !== 200) {
      own.status = 'refused'
      throw new TeuaError(reply.status, reply.payload.eiResponse.responseCode, reply.payload.eiResponse.responseDescription ?? 'refused')
    }
    // Transactions for it may have arrived before this answer (the LMA tells as soon as it is recorded).
    this.updateStatus(own)
    return own
  }

  /** Sends eiCancelTender; resolves false if the LMA says there was nothing left to cancel. */
  async cancel (tenderID: string): Promise<boolean> {
    const reply = await this.lma.call('eiCancelTender', 'eiCanceledTender', { requestID: this.nextID('r'), partyID: this.partyID, counterPartyID: this.lmaPartyID, tenderID: [tenderID] })
    const own = this.tenders.get(tenderID)
    if (reply.status === 200) {
      if (own !== undefined) own.status = own.filled === own.quantity ? 'filled' : 'canceled'
      return true
    }
    if (reply.status === 409) return false
    throw new TeuaError(reply.status, reply.payload.eiResponse.responseCode, reply.payload.eiResponse.responseDescription ?? 'refused')
  }

  /**
   * eiCreateTransaction from the LMA: records each transaction once (a resent one is answered
   * again and counted once) and answers eiCreatedTransaction.
   */
  receiveTransaction (body: Payload<'eiCreateTransaction'>): { status: number, payload: Payload<'eiCreatedTransaction'> } {
    const now = new Date().toISOString()
    if (body.partyID !== this.partyID) {
      return { status: 404, payload: { counterPartyID: body.counterPartyID, partyID: body.partyID, eiResponse: { responseCode: '404', responseDescription: `this TEUA is ${this.partyID}`, refID: body.requestID, createdDateTime: now } } }
    }
    for (const t of body.eiTransaction) {
      if (this.transactions.has(t.transactionID)) continue
      const own: OwnTransaction = {
        transactionID: t.transactionID, counterPartyID: body.counterPartyID, side: t.product.side,
        price: t.product.temixPower.price ?? '0', quantity: t.product.temixPower.quantity ?? '0', dtStart: t.product.dtStart ?? '',
        ...(t.tenderID !== undefined && { tenderID: t.tenderID })
      }
      this.transactions.set(t.transactionID, own)
      const tender = t.tenderID === undefined ? undefined : this.tenders.get(t.tenderID)
      if (tender !== undefined) {
        const scale = this.market.quantityScale
        tender.filled = fromTicks(toTicks(tender.filled, scale) + toTicks(own.quantity, scale), scale)
        this.updateStatus(tender)
      }
      for (const listener of this.listeners) listener(own)
    }
    return {
      status: 200,
      payload: { counterPartyID: body.counterPartyID, partyID: this.partyID, eiResponse: { responseCode: '200', responseDescription: 'OK', refID: body.requestID, createdDateTime: now }, transactionID: body.eiTransaction.map((t) => t.transactionID) }
    }
  }

  private updateStatus (tender: OwnTender): void {
    const scale = this.market.quantityScale
    if (tender.status === 'open' && toTicks(tender.filled, scale) >= toTicks(tender.quantity, scale)) tender.status = 'filled'
  }

  onTransaction (listener: (t: OwnTransaction) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Net position for an interval, from this TEUA's own record (buy +, sell -), in the market's unit. */
  position (dtStart: string): string {
    const scale = this.market.quantityScale
    const at = new Date(dtStart).getTime()
    let net = 0n
    for (const t of this.transactions.values()) {
      if (new Date(t.dtStart).getTime() !== at) continue
      net += (t.side === 'buy' ? 1n : -1n) * toTicks(t.quantity, scale)
    }
    return fromTicks(net, scale)
  }

  /** The LMA's view of this party's position (eiRequestPosition), to check our own record against. */
  async marketPosition (dtStart: string, duration: string): Promise<Payload<'eiReplyPosition'>> {
    const reply = await this.lma.call('eiRequestPosition', 'eiReplyPosition', {
      requestID: this.nextID('r'), requestorPartyID: this.partyID, positionPartyID: this.partyID,
      marketContext: this.market.marketContext, boundingInterval: { dtStart, duration }
    })
    if (reply.status !== 200) throw new TeuaError(reply.status, reply.payload.eiResponse.responseCode, reply.payload.eiResponse.responseDescription ?? 'refused')
    return reply.payload
  }
}
