import { fileURLToPath } from 'node:url';
import { defineConfig, type Connect, type Plugin } from 'vite';

/**
 * Cross-origin isolation (COOP/COEP) for every response, in dev and in
 * preview, so the simd-mt variant can use SharedArrayBuffer and threads.
 * A page requested with `?coi=0` is served without the headers: it shows
 * (and the e2e tests check) how the engine degrades to the simd variant.
 */
function crossOriginIsolation(): Plugin {
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    if (!/[?&]coi=0(&|$)/.test(req.url ?? '')) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    next();
  };
  return {
    name: 'elex-cross-origin-isolation',
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  };
}

const port = Number(process.env.PORT ?? 5173);

export default defineConfig({
  root: 'demo',
  publicDir: false,
  plugins: [crossOriginIsolation()],
  // The demo imports the package by its name, exactly as an application would.
  resolve: { alias: { 'elex-wasm': fileURLToPath(new URL('./ts/index.ts', import.meta.url)) } },
  server: { port, strictPort: true, host: '127.0.0.1', fs: { allow: ['..'] } },
  preview: { port, strictPort: true, host: '127.0.0.1' },
  worker: { format: 'es' },
  build: {
    outDir: '../dist/demo',
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
