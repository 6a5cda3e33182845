// Cross-origin isolation for the pages under /elex (the threaded simd-mt
// variant); without it ELEX runs the single-threaded simd variant. Every
// cross-origin resource such a page loads must then allow it (CORS or
// Cross-Origin-Resource-Policy), so the page headers are limited to /elex.
// The bundle's files need Cross-Origin-Embedder-Policy too: a worker whose
// script lacks it cannot start from an isolated page.
const isolation = [
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
  { key: 'Cross-Origin-Embedder-Policy', value: 'require-corp' },
];

module.exports = {
  async headers() {
    return [
      { source: '/elex/:path*', headers: isolation },
      { source: '/_next/static/:path*', headers: isolation },
    ];
  },
};
