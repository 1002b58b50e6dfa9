/**
 * `te-gateway lma`'s security settings (issue 12): who may register, which party ids nobody may
 * take, which networks callbacks may reach, and whether public market data names order owners.
 * Each option has an environment variable; the README's "Limits and security" table lists them.
 */
import { readFileSync } from 'node:fs'
import { BlockList } from 'node:net'
import { InvalidArgumentError, Option, type Command } from 'commander'
import { addNetwork, type CallbackPolicyOptions } from '../rest/callback-sender.js'
import { wholeNumberIn } from './arguments.js'
import { OPEN_ENROLMENT, secretEnrolment, type EnrolmentPolicy } from '../../market/lma/enrolment.js'

export interface SecuritySettings {
  enrolment: EnrolmentPolicy
  reservedPartyIDs: string[]
  callbacks: CallbackPolicyOptions
  /** Public market data shows each order's partyID and tenderID. */
  publicOwners: boolean
}

const env = process.env

function networks (value: string): string[] {
  const list = value.split(',').map((x) => x.trim()).filter((x) => x !== '')
  for (const n of list) {
    try { addNetwork(new BlockList(), n) } catch (error) { throw new InvalidArgumentError((error as Error).message) }
  }
  return list
}

export function securityOptions (command: Command): Command {
  return command
    .addOption(new Option('--enrolment <policy>', 'who may register: open (anyone) or secret (the parties in --enrolment-secrets, each with its secret in the enrolment-secret header)').choices(['open', 'secret']).default(env.ENROLMENT ?? 'open'))
    .option('--enrolment-secrets <file>', 'with --enrolment secret: JSON {"partyID": "<hex SHA-256 of its secret>"}; make entries with te-gateway enrolment-secret <partyID>', env.ENROLMENT_SECRETS)
    .option('--reserved-party-ids <ids>', 'comma-separated party ids nobody may register (besides the LMA\'s own, lma, and with --eml-cts every eml-cts-*); prefix* reserves every id starting so', env.RESERVED_PARTY_IDS ?? '')
    .option('--callback-allow <networks>', 'comma-separated networks (CIDR) callbacks may reach; default any not denied', networks, env.CALLBACK_ALLOW === undefined ? [] : networks(env.CALLBACK_ALLOW))
    .option('--callback-deny <networks>', 'comma-separated networks (CIDR) callbacks may not reach, besides the always-denied link-local and metadata ones; e.g. 127.0.0.0/8,::1/128 to deny loopback', networks, env.CALLBACK_DENY === undefined ? [] : networks(env.CALLBACK_DENY))
    .option('--callback-timeout <seconds>', 'seconds a callback has to answer a delivery', wholeNumberIn(1, 300, '--callback-timeout: a whole number'), Number(env.CALLBACK_TIMEOUT ?? 5))
    .option('--callback-max-bytes <bytes>', 'the largest answer a callback may give', wholeNumberIn(1024, 16 * 1024 * 1024, '--callback-max-bytes: a whole number'), Number(env.CALLBACK_MAX_BYTES ?? 65536))
    .option('--public-owners', 'public market data (REST book snapshots and the ticker tape) names each order\'s party and tenderID; FIX market data is top of book only', env.PUBLIC_OWNERS === '1' || env.PUBLIC_OWNERS === 'true')
}

export function securitySettings (o: { enrolment: string, enrolmentSecrets?: string, reservedPartyIds: string, callbackAllow: string[], callbackDeny: string[], callbackTimeout: number, callbackMaxBytes: number, publicOwners?: boolean }): SecuritySettings {
  if (o.enrolment === 'secret' && o.enrolmentSecrets === undefined) throw new InvalidArgumentError('--enrolment secret needs --enrolment-secrets <file>')
  return {
    enrolment: o.enrolment === 'secret' ? secretEnrolment(JSON.parse(readFileSync(o.enrolmentSecrets!, 'utf8'))) : OPEN_ENROLMENT,
    reservedPartyIDs: o.reservedPartyIds.split(',').map((x) => x.trim()).filter((x) => x !== ''),
    callbacks: { allow: o.callbackAllow, deny: o.callbackDeny, timeoutMs: o.callbackTimeout * 1000, maxResponseBytes: o.callbackMaxBytes },
    publicOwners: o.publicOwners === true
  }
}
