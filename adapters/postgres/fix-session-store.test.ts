/**
 * FIX sessions kept in the ledger database: the store across restarts (new instances on the same
 * session), reset, and two of our endpoints on it that stop and start again and go on with their
 * sequence numbers, nothing resent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FixSessionEndpoint, type FixApplication, type ReceivedMessage } from '../fix/session/endpoint.js'
import { dropTestDatabase, openTestDatabase } from '../../test/database.js'
import { until } from '../../test/until.js'
import type { Database } from './database.js'
import { PgSessionStore } from './fix-session-store.js'

let db: Database
beforeAll(async () => { db = await openTestDatabase() }, 60_000)
afterAll(async () => { await dropTestDatabase(db) })

const message = (seqNum: number, msgType = 'D') => ({ seqNum, msgType, sendingTime: '20260101-00:00:00.000', raw: `8=FIX.4.4\x0135=${msgType}\x0134=${seqNum}\x01` })

describe('PgSessionStore', () => {
  it('starts at 1 and 1; a new instance on the same session reads what the last one wrote; reset starts over', async () => {
    const first = new PgSessionStore(db, 'FIX.4.4-A-B')
    expect(await first.open()).toEqual({ nextSenderSeqNum: 1, nextTargetSeqNum: 1 })
    await first.saveSent(message(1, 'A'))
    await first.saveSent(message(2))
    await first.setNextTargetSeqNum(5)
    const second = new PgSessionStore(db, 'FIX.4.4-A-B')
    expect(await second.open()).toEqual({ nextSenderSeqNum: 3, nextTargetSeqNum: 5 })
    expect((await second.sentBetween(2, 10)).map((m) => [m.seqNum, m.msgType, m.raw])).toEqual([[2, 'D', message(2).raw]])
    expect(await new PgSessionStore(db, 'FIX.4.4-A-C').open()).toEqual({ nextSenderSeqNum: 1, nextTargetSeqNum: 1 })
    await second.reset()
    expect(await new PgSessionStore(db, 'FIX.4.4-A-B').open()).toEqual({ nextSenderSeqNum: 1, nextTargetSeqNum: 1 })
    expect(await second.sentBetween(1, 10)).toEqual([])
  })

  it('two endpoints on it stop, start again and go on with their numbers', async () => {
    const received: ReceivedMessage[] = []
    const app: FixApplication = { onMessage: (m) => { received.push(m) } }
    const order = (id: string) => ({ ClOrdID: id, Instrument: { Symbol: 'KWH' }, Side: '1', TransactTime: new Date(), OrderQtyData: { OrderQty: '1' }, OrdType: '1' })
    const pair = async (port: number) => {
      const acceptor = new FixSessionEndpoint({ role: 'acceptor', host: '127.0.0.1', port, senderCompId: 'GW', targetCompId: 'MKT', heartbeatSeconds: 30, store: new PgSessionStore(db, 'GW-MKT') }, app)
      const { port: bound } = await acceptor.start()
      const initiator = new FixSessionEndpoint({ role: 'initiator', host: '127.0.0.1', port: bound, senderCompId: 'MKT', targetCompId: 'GW', heartbeatSeconds: 30, store: new PgSessionStore(db, 'MKT-GW') }, { onMessage: () => {} })
      await initiator.start()
      await until(() => initiator.isLoggedOn && acceptor.isLoggedOn)
      return { acceptor, initiator, port: bound }
    }
    let { acceptor, initiator, port } = await pair(0)
    await initiator.send('D', order('o-1'))
    await initiator.send('D', order('o-2'))
    await until(() => received.length === 2)
    await initiator.stop()
    await acceptor.stop()
    const before = await new PgSessionStore(db, 'MKT-GW').open()
    ;({ acceptor, initiator } = await pair(port))
    // Logon, two orders and the logout came before: the next logon and order carry on from there.
    expect(before.nextSenderSeqNum).toBe(5)
    const seq = await initiator.send('D', order('o-3'))
    expect(seq).toBe(6)
    await until(() => received.length === 3)
    expect(received.map((m) => [m.seqNum, m.possDup])).toEqual([[2, false], [3, false], [6, false]])
    await initiator.stop()
    await acceptor.stop()
  })
})
