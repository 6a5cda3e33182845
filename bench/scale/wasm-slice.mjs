// The wasm engine (simd variant, one thread) on the 1,000-cell slice that
// bench/scale/run.py wrote to <dir>, in node or in headless Chromium (Debian's
// /usr/bin/chromium through Playwright): bench/scale/slice-run.mjs times the
// evaluation call and this writes the figures to <dir>/<where>-* so that
// run.py compares them with the native core's, bit for bit.
// Usage: node bench/scale/wasm-slice.mjs <dir> [reps] [node|chromium]
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSlice, sliceInput } from './slice-run.mjs';

const dir = process.argv[2];
const reps = Number(process.argv[3] ?? 7);
const where = process.argv[4] ?? 'node';
const root = new URL('../../', import.meta.url);
const glue = new URL('build/wasm/simd/elex.js', root);
const wasm = new URL('build/wasm/simd/elex.wasm', root);

let result, version;
if (where === 'node') {
  const factory = (await import(glue.href)).default;
  const input = await sliceInput((name) => readFile(join(dir, name)));
  result = await runSlice(factory, readFileSync(wasm), input, reps);
  version = process.version;
} else if (where === 'chromium') {
  const { chromium } = await import('@playwright/test');
  const launch = JSON.parse(readFileSync(new URL('e2e/chromium.json', root), 'utf8'));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? launch.executablePath,
    args: launch.args,
  });
  try {
    const page = await browser.newPage();
    // Files from disk under one made-up origin: the glue, the wasm, the runner, the slice.
    const origin = 'http://elex-bench.invalid';
    const files = {
      '/elex.js': [fileURLToPath(glue), 'text/javascript'],
      '/elex.wasm': [fileURLToPath(wasm), 'application/wasm'],
      '/slice-run.mjs': [fileURLToPath(new URL('slice-run.mjs', import.meta.url)), 'text/javascript'],
    };
    await page.route(`${origin}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      const [file, contentType] = files[path] ?? [
        join(dir, path.replace(/^\/slice\//, '')),
        'application/octet-stream',
      ];
      route.fulfill({ body: readFileSync(file), contentType });
    });
    page.on('console', (msg) => msg.type() === 'error' && console.error(`chromium: ${msg.text()}`));
    await page.goto(`${origin}/elex.js`);
    const out = await page.evaluate(async (reps) => {
      const { runSlice, sliceInput } = await import('/slice-run.mjs');
      const factory = (await import('/elex.js')).default;
      const get = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
      const input = await sliceInput((name) => get(`/slice/${name}`));
      const r = await runSlice(factory, await get('/elex.wasm'), input, reps);
      const b64 = (u8) => {
        let s = '';
        for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
        return btoa(s);
      };
      return {
        ms: r.ms,
        medianMs: r.medianMs,
        figures: Object.fromEntries(Object.entries(r.figures).map(([k, v]) => [k, b64(v)])),
        version: navigator.userAgent.match(/Chrome\/(\S+)/)?.[1] ?? navigator.userAgent,
      };
    }, reps);
    result = {
      ...out,
      figures: Object.fromEntries(Object.entries(out.figures).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    };
    version = out.version;
  } finally {
    await browser.close();
  }
} else throw new Error(`where: node or chromium, not ${where}`);

for (const [name, bytes] of Object.entries(result.figures)) writeFileSync(join(dir, `${where}-${name}`), bytes);
console.log(
  JSON.stringify({ variant: 'simd', threads: 1, where, version, reps, ms: result.ms, medianMs: result.medianMs }),
);
