/** elex-wasm/vite: the headers it sends and the config it adds. */
import { expect, test } from 'vitest';
import type { Connect, ViteDevServer } from 'vite';
import elex from '../../ts/vite.ts';

type Hook = (server: ViteDevServer) => void;

/** The middleware the plugin installs, run on one request; the headers it set. */
function headersFor(plugin: ReturnType<typeof elex>, url: string): Record<string, string> {
  let middleware: Connect.NextHandleFunction | undefined;
  const server = {
    middlewares: { use: (m: Connect.NextHandleFunction) => (middleware = m) },
  } as unknown as ViteDevServer;
  (plugin.configureServer as Hook)(server);
  const headers: Record<string, string> = {};
  let nexted = false;
  middleware!(
    { url } as Connect.IncomingMessage,
    { setHeader: (k: string, v: string) => (headers[k] = v) } as unknown as import('node:http').ServerResponse,
    () => (nexted = true),
  );
  expect(nexted).toBe(true);
  return headers;
}

test('isolation headers by default, per URL with a function, none with false', () => {
  expect(headersFor(elex(), '/')).toMatchObject({
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
  });
  const some = elex({ isolation: (url) => !url.includes('coi=0') });
  expect(headersFor(some, '/?coi=0')['Cross-Origin-Opener-Policy']).toBeUndefined();
  expect(headersFor(some, '/app')['Cross-Origin-Embedder-Policy']).toBe('require-corp');
  expect(headersFor(elex({ isolation: false }), '/')['Cross-Origin-Opener-Policy']).toBeUndefined();
  expect(() => elex({ isolation: 'yes' as unknown as boolean })).toThrow(TypeError);
});

test('workers as ES modules, and elex-wasm kept out of dependency pre-bundling', () => {
  const plugin = elex();
  expect(plugin.name).toBe('elex-wasm');
  const config = (plugin.config as () => Record<string, unknown>)();
  expect(config).toEqual({ worker: { format: 'es' }, optimizeDeps: { exclude: ['elex-wasm'] } });
  expect(typeof plugin.configurePreviewServer).toBe('function');
});
