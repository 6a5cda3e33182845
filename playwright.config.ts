import { defineConfig } from '@playwright/test';
import chromium from './e2e/chromium.json' with { type: 'json' };

/**
 * Headless Chromium from Debian's package (never a downloaded browser),
 * against the demo dashboard: the production build served by `vite preview`
 * and the dev server, both with COOP/COEP. `npm test` builds first.
 */
// Ports: ELEX_E2E_PORTS="4273,5274" runs a second suite beside one on the defaults.
const [previewPort, devPort] = (process.env.ELEX_E2E_PORTS ?? '4173,5174').split(',').map(Number);
export const PREVIEW = `http://127.0.0.1:${previewPort}`;
export const DEV = `http://127.0.0.1:${devPort}`;

export default defineConfig({
  testDir: 'e2e',
  timeout: 90_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1, // two cores here, and the engine under test uses both
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'build/test-results/e2e.json' }]],
  use: {
    baseURL: PREVIEW,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? chromium.executablePath,
      args: chromium.args,
    },
  },
  webServer: [
    {
      command: `npx vite preview --strictPort --port ${previewPort}`,
      url: `${PREVIEW}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    {
      command: `npx vite --strictPort --port ${devPort}`,
      url: `${DEV}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
  ],
});
