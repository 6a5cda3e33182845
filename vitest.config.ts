import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { 'elex-wasm': fileURLToPath(new URL('./ts/index.ts', import.meta.url)) } },
  test: {
    include: ['tests/ts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
});
