import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import elex from './ts/vite.ts';

const port = Number(process.env.PORT ?? 5173);

export default defineConfig({
  root: 'demo',
  publicDir: false,
  // The package's own plugin (elex-wasm/vite). A page requested with `?coi=0`
  // is served without COOP/COEP: it shows (and the e2e tests check) how the
  // engine degrades to the simd variant.
  plugins: [elex({ isolation: (url) => !/[?&]coi=0(&|$)/.test(url) })],
  // The demo imports the package by its name, exactly as an application would.
  resolve: {
    alias: [
      { find: /^elex-wasm$/, replacement: fileURLToPath(new URL('./ts/index.ts', import.meta.url)) },
      { find: /^elex-wasm\/advanced$/, replacement: fileURLToPath(new URL('./ts/advanced.ts', import.meta.url)) },
    ],
  },
  server: { port, strictPort: true, host: '127.0.0.1', fs: { allow: ['..'] } },
  preview: { port, strictPort: true, host: '127.0.0.1' },
  worker: { format: 'es' },
  build: {
    outDir: '../build/demo',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('./demo/index.html', import.meta.url)),
        bench: fileURLToPath(new URL('./demo/bench.html', import.meta.url)),
      },
    },
  },
});
