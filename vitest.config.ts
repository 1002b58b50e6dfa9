import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**'],
    // Two cores: keep the pool small so xmllint subprocesses and the engine tests do not starve each other.
    maxWorkers: 2,
    testTimeout: 30_000
  }
})
