/**
 * elex-wasm/vite: the Vite plugin that makes an app ready for ELEX in one line.
 *
 * ```ts
 * // vite.config.ts
 * import { defineConfig } from 'vite';
 * import elex from 'elex-wasm/vite';
 * export default defineConfig({ plugins: [elex()] });
 * ```
 *
 * It sends Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy from
 * the dev server and `vite preview` (so the page is cross-origin isolated
 * and the fastest variant, simd-mt, can run), builds workers as ES modules
 * (the engine's worker loads code on demand), and keeps elex-wasm out of
 * dependency pre-bundling (which would break the URLs of its .wasm files).
 * Production servers must send the two headers themselves: see
 * docs/recipes.md.
 *
 * @packageDocumentation
 */
import type { Plugin } from 'vite';

export interface ElexPluginOptions {
  /**
   * Send COOP/COEP (default true). A function decides per request URL, for
   * example to serve one page without isolation.
   */
  isolation?: boolean | ((url: string) => boolean);
}

type Middleware = (
  req: { url?: string },
  res: { setHeader(name: string, value: string): unknown },
  next: () => void,
) => void;

/** The ELEX Vite plugin: COOP/COEP in dev and preview, ES-module workers, no pre-bundling of elex-wasm. */
export default function elex(options: ElexPluginOptions = {}): Plugin {
  const isolation = options.isolation ?? true;
  if (typeof isolation !== 'boolean' && typeof isolation !== 'function')
    throw new TypeError('elex-wasm/vite: isolation must be a boolean or a function of the request URL');
  const middleware: Middleware = (req, res, next) => {
    const url = req.url ?? '/';
    if (typeof isolation === 'function' ? isolation(url) : isolation) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    next();
  };
  return {
    name: 'elex-wasm',
    config: () => ({
      worker: { format: 'es' },
      optimizeDeps: { exclude: ['elex-wasm'] },
    }),
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  };
}

export { elex };
