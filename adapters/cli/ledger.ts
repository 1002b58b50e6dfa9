/**
 * te-gateway ledger: what an operator does when the LMA says a market is out of service because
 * its ledger does not replay (README, "Repairing the ledger").
 *   check                 replays every market as the LMA does at start; names each broken book
 *   show --book B         the book's events and tenders as stored
 *   quarantine --book B   takes the book out of the ledger (events kept aside, open tenders canceled)
 * Same store options as `te-gateway lma`: DATABASE_URL + --schema, or --data-dir; run with the LMA stopped.
 */
import { Command } from 'commander'
import { openDatabase, type Database } from '../postgres/database.js'
import { PgLedger } from '../postgres/ledger.js'
import { quarantineBook, showBook } from '../postgres/ledger-repair.js'
import { LocalMarketAgent } from '../../market/lma/lma.js'
import type { MarketDefinition } from '../../market/lma/markets.js'
import { readMarketsFile } from './markets-file.js'

interface StoreOptions { markets?: string, dataDir: string, schema: string }

const env = process.env

function withStore (command: Command): Command {
  return command
    .option('-m, --markets <file>', 'the LMA\'s markets (as for te-gateway lma); default: the demo market')
    .option('--data-dir <dir>', 'embedded PostgreSQL directory, when DATABASE_URL is unset', env.DATA_DIR ?? './data/lma')
    .option('--schema <name>', 'PostgreSQL schema of the ledger, with DATABASE_URL', env.DATABASE_SCHEMA ?? 'public')
}

async function withDatabase<T> (o: StoreOptions, use: (db: Database, markets: MarketDefinition[]) => Promise<T>): Promise<T> {
  const markets = readMarketsFile(o.markets)
  const url = env.DATABASE_URL === '' ? undefined : env.DATABASE_URL
  const db = await openDatabase(url !== undefined ? { url, schema: o.schema } : { dataDir: o.dataDir })
  try {
    return await use(db, markets)
  } finally {
    await db.close()
  }
}

/** Replays the ledger as the LMA does at start (engines in this process, nothing delivered); the markets that do not replay. */
export async function checkLedger (db: Database, markets: MarketDefinition[]) {
  const scales = new Map(markets.map((m) => [m.marketContext, { priceScale: m.priceScale, quantityScale: m.quantityScale }]))
  const lma = await LocalMarketAgent.open({ markets, ledger: new PgLedger(db, (m) => scales.get(m) ?? { priceScale: 0, quantityScale: 0 }), engine: () => undefined })
  await lma.close()
  return lma.marketsOutOfService()
}

export function ledgerCommand (): Command {
  const ledger = new Command('ledger').description('check the LMA\'s ledger replays; show or quarantine a book that does not (run with the LMA stopped)')

  withStore(ledger.command('check'))
    .description('replay every market from the ledger, as the LMA does at start, and name the row where a market does not replay (exit code 1)')
    .action(async (o: StoreOptions) => {
      const broken = await withDatabase(o, (db, markets) => checkLedger(db, markets))
      for (const b of broken) console.log(JSON.stringify(b))
      if (broken.length === 0) console.log('every market replays')
      process.exitCode = broken.length === 0 ? 0 : 1
    })

  withStore(ledger.command('show'))
    .description('print a book\'s ledger rows (events as stored) and the tenders filed under it, as JSON')
    .requiredOption('--book <id>', 'the book (as the LMA\'s log names it: marketContext|dtStart|duration)')
    .action(async (o: StoreOptions & { book: string }) => {
      console.log(JSON.stringify(await withDatabase(o, (db) => showBook(db, o.book)), null, 2))
    })

  withStore(ledger.command('quarantine'))
    .description('take a book out of the ledger: its events move to quarantined_book_events, the book starts over closed, its open tenders are canceled; then start the LMA')
    .requiredOption('--book <id>', 'the book (as the LMA\'s log names it)')
    .option('--reason <text>', 'kept with the quarantined events', 'quarantined by te-gateway ledger quarantine')
    .action(async (o: StoreOptions & { book: string, reason: string }) => {
      const result = await withDatabase(o, async (db, markets) => {
        const market = markets.find((m) => o.book.startsWith(`${m.marketContext}|`))
        if (market === undefined) throw new Error(`book ${o.book}: its market is not in --markets`)
        return quarantineBook(db, o.book, market, o.reason)
      })
      console.log(JSON.stringify(result))
    })

  return ledger
}
