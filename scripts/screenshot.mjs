// Takes the README's dashboard screenshot (docs/dashboard.png) with
// headless Chromium: a production build served by vite preview, a question
// asked, its answer on screen. Run: npm run build && node scripts/screenshot.mjs
// The buttons' emoji need a colour emoji font on the machine (Debian:
// apt-get install fonts-noto-color-emoji); without one they show as boxes.
import { launchChromium, startPreview } from '../bench/browser/harness.mjs';

const { base, stop } = await startPreview(4185);
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
await page.goto(`${base}/?persist=0`);
await page.waitForSelector('body[data-router-ready="1"]', { timeout: 120_000 });
await page.click('#ask');
await page.waitForSelector('#routed tr:nth-child(2)');
await page.screenshot({ path: 'docs/dashboard.png', fullPage: false });
await browser.close();
stop();
console.log('written: docs/dashboard.png');
