// Shared by the browser benchmarks: start `vite preview` on a port, launch
// Debian's Chromium headless, and small statistics helpers.
import { spawn } from 'node:child_process';
import { chromium } from '@playwright/test';
import launch from '../../e2e/chromium.json' with { type: 'json' };

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Starts vite preview (the build must exist); returns { base, stop }. */
export async function startPreview(port) {
  const base = `http://127.0.0.1:${port}`;
  // A server already there (another checkout's bench) would be measured instead of this build.
  const taken = await fetch(`${base}/`).then(
    () => true,
    () => false,
  );
  if (taken) throw new Error(`port ${port} is taken; set BENCH_PORT to another port`);
  const server = spawn('npx', ['vite', 'preview', '--strictPort', '--port', String(port)], {
    stdio: 'ignore',
    detached: true,
  });
  const stop = () => {
    try {
      process.kill(-server.pid);
    } catch {}
  };
  process.on('exit', stop);
  // --strictPort: a port taken (by another checkout's bench) fails here instead of benchmarking that server.
  let exited = null;
  server.on('exit', (code) => (exited = code));
  for (let i = 0; ; i++) {
    if (exited !== null) throw new Error(`vite preview exited (${exited}): is port ${port} taken? set BENCH_PORT`);
    try {
      if ((await fetch(`${base}/`)).ok) break;
    } catch {}
    if (i > 100) throw new Error('vite preview did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, stop };
}

export function launchChromium() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? launch.executablePath, args: launch.args });
}

/**
 * vite preview on `port`, Chromium, and the bench page loaded (its console
 * logs echoed): { browser, page, close, fresh }. fresh() closes that
 * browser and opens the page in a new one (a new renderer: no wasm code
 * compiled or tiered up yet, as a user's first visit), and returns it.
 */
export async function openBenchPage(port) {
  const { base, stop } = await startPreview(port);
  const open = async () => {
    const browser = await launchChromium();
    const page = await browser.newPage();
    page.on('console', (m) => m.type() === 'log' && console.log(`  ${m.text()}`));
    await page.goto(`${base}/bench.html`);
    await page.waitForFunction(() => window.elexBench);
    return { browser, page };
  };
  const session = { ...(await open()) };
  return Object.assign(session, {
    close: async () => {
      await session.browser.close();
      stop();
    },
    fresh: async () => {
      await session.browser.close();
      Object.assign(session, await open());
      return session.page;
    },
  });
}
