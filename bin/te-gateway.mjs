#!/usr/bin/env node
// Runs the TypeScript CLI on Node 20, which cannot strip types itself: tsx compiles on the fly.
import { register } from 'tsx/esm/api'

register()
await import('../adapters/cli/te-gateway.ts')
