// webpack 5: nothing ELEX-specific. The dev server only adds the two headers
// that give the page cross-origin isolation (the threaded simd-mt variant);
// without them ELEX runs the single-threaded simd variant.
import { fileURLToPath } from 'node:url';

export default {
  entry: './src/main.js',
  output: { path: fileURLToPath(new URL('./dist', import.meta.url)), clean: true },
  devServer: {
    static: { directory: fileURLToPath(new URL('.', import.meta.url)) },
    devMiddleware: { publicPath: '/dist/' }, // where index.html loads the bundle from
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
  },
};
