// The consumer suite: elex-wasm as users get it. Packs the package (prepack
// builds the wasm and dist/), lints the tarball (publint, arethetypeswrong),
// installs it into fresh projects in a temporary folder outside the
// repository (their own package.json; nothing resolves from the repo), and
// checks:
//   1. the create-vite react-ts template, its own `tsc -b && vite build`
//      with the template's tsconfig unmodified, plus examples/react; served by
//      `vite preview` with elex-wasm/vite: in headless Chromium the default
//      catalog answers a question and an index is built and searched, in
//      simd-mt (isolated) and simd (not isolated); `catalog: false` fetches
//      nothing of the default catalog; the dev server under <StrictMode>
//      starts exactly one engine;
//   2. examples/vanilla: a page with no bundler, an import map and a static
//      server; examples/webpack: its own `npm run build` (webpack 5, no
//      ELEX-specific configuration), served with and without COOP/COEP;
//      examples/esbuild: its own `npm run build` (esbuild, the engine's
//      files copied, `baseUrl`), the same two ways;
//      examples/nextjs (App Router): `next build` with Turbopack and with
//      webpack, each served by `next start`, and `next dev`;
//   3. Node 20: instantiate({ variant: 'simd' }) (tests/consumer/node-check.mjs).
// It measures the tarball, the brotli bytes an app downloads with and without
// the default catalog, and the engine-ready time over 5 cold loads, and
// writes them to build/test-results/consumer.json.
//
// Usage: node tests/consumer/run.mjs [--keep]   (--keep leaves the temp folder)
import { execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, relative } from 'node:path';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import { chromium } from '@playwright/test';

const repo = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const keep = process.argv.includes('--keep');
const browserConfig = JSON.parse(readFileSync(join(repo, 'e2e/chromium.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'elex-consumer-'));
const report = {
  tarball: null,
  lint: {},
  node: null,
  react: {},
  vanilla: null,
  webpack: {},
  esbuild: {},
  nextjs: {},
  bytes: {},
  ready: null,
};
const failures = [];
const passed = [];
const t0 = performance.now();

const log = (...a) => console.log(`[consumer ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s]`, ...a);
function run(cmd, args, cwd, extra = {}) {
  log(`$ ${cmd} ${args.join(' ')}   (in ${relative(work, cwd) || cwd})`);
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 26,
    ...extra,
  });
}
async function check(name, fn) {
  try {
    await fn();
    passed.push(name);
    log(`ok   ${name}`);
  } catch (e) {
    failures.push(name);
    log(`FAIL ${name}: ${e?.stdout ?? ''}${e?.stderr ?? ''}${e?.stack ?? e}`);
  }
}
const brotli = (file) => brotliCompressSync(readFileSync(file), { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const npmInstall = (cwd) =>
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline'], cwd);

/** A process that serves until stopped; resolves once `url` answers. */
async function serve(cmd, args, cwd, url) {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let stopping = false;
  child.on('exit', (code, signal) => {
    if (!stopping) log(`${cmd} ${args.join(' ')} exited early (${code ?? signal}):\n${output}`);
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(url)).ok) break;
    } catch {}
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${cmd} ${args.join(' ')} did not serve ${url}:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    stop: () => {
      stopping = true;
      if (child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    },
    output: () => output,
  };
}

/** A static server for a folder; COOP/COEP unless the URL has ?coi=0. */
function staticServer(root, port) {
  const types = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.mjs': 'text/javascript',
    '.wasm': 'application/wasm',
    '.json': 'application/json',
    '.css': 'text/css',
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let path = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!path.startsWith(root)) return void res.writeHead(403).end();
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
    if (!existsSync(path)) return void res.writeHead(404).end();
    const headers = {
      'Content-Type': types[extname(path)] ?? 'application/octet-stream',
      'Cross-Origin-Resource-Policy': 'same-origin',
    };
    if (url.searchParams.get('coi') !== '0') {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    res.writeHead(200, headers).end(readFileSync(path));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/**
 * A built example served from `root` on `port`: its page checked with the
 * COOP/COEP headers (simd-mt) and without them (simd), into `into`.
 */
async function bothVariants(what, root, port, into) {
  const server = await staticServer(root, port);
  try {
    for (const [name, query] of [
      ['simd-mt', ''],
      ['simd', '?coi=0'],
    ])
      await check(`${what}, ${name}: default catalog answers a question, an index is built and searched`, async () => {
        into[name] = await examplePage(`http://127.0.0.1:${port}/${query}`, name);
      });
  } finally {
    server.close();
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? browserConfig.executablePath,
  args: browserConfig.args,
});

/** Opens `url` in a fresh context (cold cache); returns the page, its same-origin requests and console errors. */
async function open(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = new Set();
  const errors = [];
  const origin = new URL(url).origin;
  context.on('requestfinished', (r) => r.url().startsWith(origin) && requests.add(new URL(r.url()).pathname));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  const started = performance.now();
  await page.goto(url);
  return { context, page, requests, errors, started };
}

async function readyVariant(page) {
  await page.waitForSelector('#status[data-variant], #status:text-matches("failed")', { timeout: 60_000 });
  const text = await page.textContent('#status');
  if (text.startsWith('failed')) throw new Error(text);
  return page.getAttribute('#status', 'data-variant');
}

/**
 * The example page's contract (examples/vanilla, webpack, nextjs): #status
 * gets data-done (or data-error), data-variant; #features lists the routed
 * features; #search reads "nearest: 42, …". Opens `url`, checks the variant,
 * the features, the search (unless `search: false`) and the console.
 */
async function examplePage(url, want, { search: checkSearch = true, timeout = 90_000 } = {}) {
  const { context, page, errors } = await open(url);
  await page.waitForSelector('#status[data-done], #status[data-error]', { timeout });
  const status = await page.textContent('#status');
  if (await page.getAttribute('#status', 'data-error')) throw new Error(status);
  const variant = await page.getAttribute('#status', 'data-variant');
  const features = await page.locator('#features li').count();
  const search = checkSearch ? await page.textContent('#search') : undefined;
  if (variant !== want) throw new Error(`variant ${variant}, expected ${want}`);
  if (features < 1) throw new Error('no routed features');
  if (checkSearch && !search.startsWith('nearest: 42')) throw new Error(`search: ${search}`);
  if (errors.length) throw new Error(`console errors: ${errors.join('\n')}`);
  await context.close();
  return checkSearch ? { variant, features, search } : { variant };
}

try {
  // ---- the tarball ----
  await check('npm pack (prepack builds wasm and dist)', async () => {
    // prepack's own output comes first on stdout; npm's JSON is the last thing printed.
    const printed = run('npm', ['pack', '--json', '--pack-destination', work], repo, {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const out = JSON.parse(printed.slice(printed.lastIndexOf('\n[\n') + 1));
    const p = out[0];
    report.tarball = {
      file: join(work, p.filename),
      bytes: p.size,
      unpackedBytes: p.unpackedSize,
      files: p.files.map((f) => ({ path: f.path, bytes: f.size })),
    };
    const paths = new Set(p.files.map((f) => f.path));
    for (const want of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/worker.js',
      'dist/vite.js',
      'dist/advanced.js',
      'dist/default-catalog.js',
      'catalog/catalog.schema.json',
      'catalog/glossary.json',
      'build/wasm/simd-mt/elex.wasm',
      'build/wasm/simd-mt/elex.js',
      'build/wasm/simd-mt/elex.worker.js',
      'build/wasm/simd/elex.wasm',
      'build/wasm/simd/elex.js',
      'build/wasm/scalar/elex.wasm',
      'build/wasm/scalar/elex.js',
      'LICENSE',
      'README.md',
      'CHANGELOG.md',
    ])
      if (!paths.has(want)) throw new Error(`the tarball lacks ${want}`);
    for (const f of paths)
      if (/^(ts|engine|tests|e2e|demo|bench|scripts|node_modules)\//.test(f)) throw new Error(`the tarball ships ${f}`);
  });
  if (!report.tarball) throw new Error('no tarball: nothing else can run');
  const tgz = report.tarball.file;

  await check('publint', async () => {
    report.lint.publint = run(join(repo, 'node_modules/.bin/publint'), ['--strict', tgz], repo).trim();
    if (!/All good/.test(report.lint.publint)) throw new Error(report.lint.publint);
  });
  await check('arethetypeswrong (esm-only)', async () => {
    // Assets are not modules: .wasm files and the classic pthread worker script.
    const assets = ['simd-mt', 'simd', 'scalar']
      .map((v) => `./wasm/${v}/elex.wasm`)
      .concat('./wasm/simd-mt/elex.worker.js');
    report.lint.attw = run(
      join(repo, 'node_modules/.bin/attw'),
      [tgz, '--profile', 'esm-only', '--format', 'table-flipped', '--exclude-entrypoints', ...assets],
      repo,
    ).trim();
  });

  // ---- Node 20 and the page without a bundler share one project ----
  const plain = join(work, 'plain');
  mkdirSync(plain);
  writeFileSync(
    join(plain, 'package.json'),
    JSON.stringify(
      { name: 'elex-plain', private: true, type: 'module', dependencies: { 'elex-wasm': `file:${tgz}` } },
      null,
      2,
    ),
  );
  npmInstall(plain);
  await check('Node 20: instantiate({ variant: "simd" }), distances, an index, every entry point', async () => {
    cpSync(join(repo, 'tests/consumer/node-check.mjs'), join(plain, 'node-check.mjs'));
    report.node = JSON.parse(run(process.execPath, ['node-check.mjs'], plain).trim().split('\n').pop());
    report.node.node = process.version;
  });
  await check(
    'a tsc --init style Node project (module nodenext, strict, skipLibCheck: false) type-checks against the package',
    async () => {
      writeFileSync(
        join(plain, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'es2022',
            module: 'nodenext',
            moduleResolution: 'nodenext',
            lib: ['es2022', 'dom'],
            types: [],
            strict: true,
            skipLibCheck: false,
            noEmit: true,
            verbatimModuleSyntax: true,
            isolatedModules: true,
            exactOptionalPropertyTypes: true,
          },
          files: ['typed.ts'],
        }),
      );
      writeFileSync(
        join(plain, 'typed.ts'),
        [
          "import { createEngine, instantiate, isElexError, type Engine, type QueryResult } from 'elex-wasm';",
          "import { detectFeatures } from 'elex-wasm/advanced';",
          "import { defaultCatalog } from 'elex-wasm/catalog/default';",
          'export async function ask(engine: Engine): Promise<QueryResult> {',
          "  return engine.query('which parameters control MIMO sleep start time?', { k: 3 });",
          '}',
          'export const start = () => createEngine({ catalog: defaultCatalog(), onProgress: (p) => console.log(p.phase) });',
          "export const node = () => instantiate({ variant: 'simd' }).then((b) => b.info().kernel);",
          'export const features = detectFeatures();',
          'export const coded = (e: unknown) => (isElexError(e) ? e.code : null);',
          '',
        ].join('\n'),
      );
      // The compiler is the repository's (a tool); every type comes from the project's own node_modules.
      run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], plain);
    },
  );
  await check(
    'a Node-only TypeScript project (lib es2022 without dom, @types/node, skipLibCheck: false) type-checks against the package',
    async () => {
      // Without the DOM library, WebAssembly.Module and MessagePort were
      // unknown to it (11 errors in the package's .d.ts): ts/core/web-types.ts.
      writeFileSync(
        join(plain, 'tsconfig.node.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'es2022',
            module: 'nodenext',
            moduleResolution: 'nodenext',
            lib: ['es2022'],
            // @types/node as the compiler: the repository's devDependency (the project installs none).
            typeRoots: [join(repo, 'node_modules/@types')],
            types: ['node'],
            strict: true,
            skipLibCheck: false,
            noEmit: true,
          },
          files: ['node-typed.ts'],
        }),
      );
      writeFileSync(
        join(plain, 'node-typed.ts'),
        [
          "import { createEngine, instantiate, type Engine, type QueryResult } from 'elex-wasm';",
          "import { detectFeatures } from 'elex-wasm/advanced';",
          'export async function ask(engine: Engine): Promise<QueryResult> {',
          "  return engine.query('which parameters control MIMO sleep start time?', { k: 3 });",
          '}',
          'export const start = () => createEngine({ workers: 1 });',
          "export const node = () => instantiate({ variant: 'simd' }).then((b) => b.info().kernel);",
          'export const features = detectFeatures();',
          '',
        ].join('\n'),
      );
      run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.node.json'], plain);
    },
  );
  await check(
    'CommonJS: require() of every entry point in Node 20.19+ (it failed ERR_PACKAGE_PATH_NOT_EXPORTED)',
    async () => {
      writeFileSync(
        join(plain, 'cjs-check.cjs'),
        [
          "const { instantiate, isElexError } = require('elex-wasm');",
          "const { detectFeatures } = require('elex-wasm/advanced');",
          "const { defaultCatalog } = require('elex-wasm/catalog/default');",
          "if (typeof detectFeatures !== 'function' || defaultCatalog().features.length < 100) throw new Error('entry points');",
          "instantiate({ variant: 'simd' }).then((b) => {",
          "  const d = b.distance('l2', Float32Array.of(0, 3), Float32Array.of(4, 0));",
          '  if (!(Math.abs(d - 25) < 1e-3 || Math.abs(d - 5) < 1e-3)) throw new Error(`l2 ${d}`);',
          "  try { b.distance('l2', Float32Array.of(1), Float32Array.of(1, 2)); throw new Error('no error'); }",
          '  catch (e) { if (!isElexError(e)) throw e; }',
          '  console.log(b.info().kernel);',
          '});',
          '',
        ].join('\n'),
      );
      const out = run(process.execPath, ['cjs-check.cjs'], plain).trim();
      if (out !== 'simd128') throw new Error(`cjs-check printed ${out}`);
    },
  );
  await check(
    'an older TypeScript project (module commonjs, moduleResolution node10) finds the types of every entry point',
    async () => {
      writeFileSync(
        join(plain, 'tsconfig.node10.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'es2022',
            module: 'commonjs',
            moduleResolution: 'node10',
            lib: ['es2022', 'dom'],
            types: [],
            strict: true,
            skipLibCheck: false,
            noEmit: true,
          },
          files: ['typed.ts'],
        }),
      );
      // typed.ts (above) imports from 'elex-wasm', 'elex-wasm/advanced' and 'elex-wasm/catalog/default'.
      run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.node10.json'], plain);
    },
  );
  await check('no bundler: import map + static server (examples/vanilla), default catalog, simd-mt', async () => {
    cpSync(join(repo, 'examples/vanilla/index.html'), join(plain, 'app/index.html'));
    const server = await staticServer(plain, 4390);
    try {
      report.vanilla = await examplePage('http://127.0.0.1:4390/app/', 'simd-mt');
    } finally {
      server.close();
    }
  });

  // ---- webpack 5: examples/webpack, its own `npm run build` ----
  const wp = join(work, 'webpack-app');
  await check('webpack 5 (examples/webpack): npm install, npm run build', async () => {
    cpSync(join(repo, 'examples/webpack'), wp, { recursive: true });
    const pkg = JSON.parse(readFileSync(join(wp, 'package.json'), 'utf8'));
    pkg.dependencies['elex-wasm'] = `file:${tgz}`;
    delete pkg.devDependencies['webpack-dev-server']; // `npm start` only; the build is what is served here
    writeFileSync(join(wp, 'package.json'), JSON.stringify(pkg, null, 2));
    npmInstall(wp);
    run('npm', ['run', 'build'], wp);
    const wasm = readdirSync(join(wp, 'dist')).filter((f) => f.endsWith('.wasm'));
    if (wasm.length !== 3) throw new Error(`dist/ holds ${wasm.length} .wasm files, expected the 3 variants`);
  });
  if (existsSync(join(wp, 'dist/main.js'))) await bothVariants('webpack 5 app', wp, 4393, report.webpack);

  // ---- esbuild: examples/esbuild, its own `npm run build` (bundles, copies the engine's files; baseUrl) ----
  const eb = join(work, 'esbuild-app');
  await check('esbuild (examples/esbuild): npm install, npm run build', async () => {
    cpSync(join(repo, 'examples/esbuild'), eb, { recursive: true });
    const pkg = JSON.parse(readFileSync(join(eb, 'package.json'), 'utf8'));
    pkg.dependencies['elex-wasm'] = `file:${tgz}`;
    writeFileSync(join(eb, 'package.json'), JSON.stringify(pkg, null, 2));
    npmInstall(eb);
    run('npm', ['run', 'build'], eb);
    if (!existsSync(join(eb, 'dist/elex/dist/worker.js'))) throw new Error('dist/elex/dist/worker.js was not copied');
  });
  if (existsSync(join(eb, 'dist/main.js'))) await bothVariants('esbuild app', eb, 4394, report.esbuild);

  // ---- Next.js (App Router): examples/nextjs, built with Turbopack (Next 16's default) and with webpack ----
  const nx = join(work, 'nextjs-app');
  process.env.NEXT_TELEMETRY_DISABLED = '1'; // no notice, no network
  /** `next start` of the app as built, and /elex checked in Chromium. */
  const nextChecks = async (bundler) => {
    const next = await serve(
      join(nx, 'node_modules/.bin/next'),
      ['start', '--port', '4394', '--hostname', '127.0.0.1'],
      nx,
      'http://127.0.0.1:4394/',
    );
    try {
      report.nextjs[bundler] = await examplePage('http://127.0.0.1:4394/elex', 'simd-mt');
    } finally {
      next.stop();
    }
  };
  await check(
    'Next.js (examples/nextjs): npm install, next build with Turbopack (its type check included)',
    async () => {
      cpSync(join(repo, 'examples/nextjs'), nx, { recursive: true });
      const pkg = JSON.parse(readFileSync(join(nx, 'package.json'), 'utf8'));
      pkg.dependencies['elex-wasm'] = `file:${tgz}`;
      writeFileSync(join(nx, 'package.json'), JSON.stringify(pkg, null, 2));
      npmInstall(nx);
      report.nextjs.version = JSON.parse(readFileSync(join(nx, 'node_modules/next/package.json'), 'utf8')).version;
      run('npm', ['run', 'build'], nx);
    },
  );
  if (existsSync(join(nx, '.next/BUILD_ID'))) {
    await check('Next.js app (Turbopack build, next start), /elex: simd-mt, a routed question, an index searched', () =>
      nextChecks('turbopack'),
    );
    // `npm run dev`: Turbopack again, which starts workers from Blob URLs.
    await check('Next.js app (next dev), /elex: simd-mt, a routed question', async () => {
      const dev = await serve(
        'npm',
        ['run', 'dev', '--', '--port', '4395', '--hostname', '127.0.0.1'],
        nx,
        'http://127.0.0.1:4395/',
      );
      try {
        await fetch('http://127.0.0.1:4395/elex'); // the dev server compiles the page on its first request
        report.nextjs.dev = await examplePage('http://127.0.0.1:4395/elex', 'simd-mt', {
          search: false,
          timeout: 120_000,
        });
      } finally {
        dev.stop();
      }
    });
    // webpack (`next build --webpack`): asset URLs relative to the site.
    await check(
      'Next.js app (webpack build, next start), /elex: simd-mt, a routed question, an index searched',
      async () => {
        run(join(nx, 'node_modules/.bin/next'), ['build', '--webpack'], nx);
        await nextChecks('webpack');
      },
    );
  }

  // ---- the create-vite react-ts template ----
  const app = join(work, 'react-app');
  await check('create-vite react-ts + examples/react: npm install, tsc -b && vite build', async () => {
    run(
      process.execPath,
      [
        join(repo, 'node_modules/create-vite/index.js'),
        'react-app',
        '--template',
        'react-ts',
        '--no-immediate',
        '--no-interactive',
      ],
      work,
    );
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    pkg.dependencies['elex-wasm'] = `file:${tgz}`;
    writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
    for (const f of ['useElexEngine.ts', 'App.tsx']) cpSync(join(repo, 'examples/react/src', f), join(app, 'src', f));
    // The one line of set-up the README asks for (plus a switch to serve one page unisolated).
    const config = readFileSync(join(app, 'vite.config.ts'), 'utf8');
    const edited = config
      .replace(
        "import react from '@vitejs/plugin-react'",
        "import react from '@vitejs/plugin-react'\nimport elex from 'elex-wasm/vite'",
      )
      .replace('plugins: [react()]', "plugins: [react(), elex({ isolation: (url) => !url.includes('coi=0') })]");
    if (edited === config || !edited.includes('elex('))
      throw new Error(`unexpected template vite.config.ts:\n${config}`);
    writeFileSync(join(app, 'vite.config.ts'), edited);
    npmInstall(app);
    run('npm', ['run', 'build'], app);
    // Nothing of the default catalog's data is bundled: no big file, no catalog JSON.
    const assets = readdirSync(join(app, 'dist/assets'));
    report.react.assets = assets.map((f) => ({
      file: f,
      bytes: statSync(join(app, 'dist/assets', f)).size,
      brotli: brotli(join(app, 'dist/assets', f)),
    }));
    const big = report.react.assets.filter((a) => a.bytes > 1 << 20 || a.file.endsWith('.json'));
    if (big.length) throw new Error(`the app build holds ${big.map((a) => `${a.file} (${a.bytes} B)`).join(', ')}`);
  });
  await check('create-vite react-ts: the package types under skipLibCheck: false', async () => {
    writeFileSync(
      join(app, 'tsconfig.strict.json'),
      JSON.stringify({
        extends: './tsconfig.app.json',
        compilerOptions: {
          skipLibCheck: false,
          noEmit: true,
          tsBuildInfoFile: null,
          incremental: false,
          composite: false,
        },
      }),
    );
    run(join(app, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.strict.json'], app);
  });

  if (existsSync(join(app, 'dist/index.html'))) {
    const preview = await serve(
      join(app, 'node_modules/.bin/vite'),
      ['preview', '--port', '4391', '--strictPort', '--host', '127.0.0.1'],
      app,
      'http://127.0.0.1:4391/',
    );
    const base = 'http://127.0.0.1:4391/';
    const fileOf = (path) => join(app, 'dist', path);
    const bytesOf = (requests) => {
      const out = { wasm: 0, glue: 0, catalog: 0, worker: 0, app: 0, files: [] };
      for (const path of requests) {
        const file = fileOf(path);
        if (!existsSync(file) || statSync(file).isDirectory()) continue;
        const name = path.split('/').pop();
        const size = brotli(file);
        const kind = name.endsWith('.wasm')
          ? 'wasm'
          : /^elex-.*\.js$/.test(name)
            ? 'glue'
            : name.startsWith('default-catalog')
              ? 'catalog'
              : /worker/.test(name)
                ? 'worker'
                : 'app';
        out[kind] += size;
        out.files.push({ path, kind, brotli: size });
      }
      out.engine = out.wasm + out.glue + out.catalog;
      return out;
    };
    try {
      for (const [name, query, want] of [
        ['simd-mt', '', 'simd-mt'],
        ['simd', '?coi=0', 'simd'],
      ])
        await check(
          `react app (vite preview), ${name}: default catalog answers a question, an index is built and searched`,
          async () => {
            const { context, page, requests, errors } = await open(base + query);
            const variant = await readyVariant(page);
            if (variant !== want) throw new Error(`variant ${variant}, expected ${want}`);
            await page.waitForSelector('#router', { state: 'attached', timeout: 60_000 });
            await page.click('#ask');
            await page.waitForSelector('#features li, #error', { timeout: 60_000 });
            if (await page.locator('#error').count()) throw new Error(await page.textContent('#error'));
            const top = await page.textContent('#features li');
            await page.click('#index');
            await page.waitForSelector('#search:text-matches("nearest"), #error', { timeout: 60_000 });
            if (await page.locator('#error').count()) throw new Error(await page.textContent('#error'));
            const search = await page.textContent('#search');
            if (!search.startsWith('nearest: 123')) throw new Error(`search: ${search}`);
            if (errors.length) throw new Error(`console errors: ${errors.join('\n')}`);
            report.react[name] = { variant, top, search };
            if (name === 'simd-mt') report.bytes.defaultCatalog = bytesOf(requests);
            await context.close();
          },
        );
      await check(
        'react app, catalog: false: ready, an index works, the default catalog is never fetched',
        async () => {
          const { context, page, requests, errors } = await open(`${base}?catalog=0`);
          await readyVariant(page);
          await page.click('#index');
          await page.waitForSelector('#search:text-matches("nearest")', { timeout: 60_000 });
          const bytes = bytesOf(requests);
          if (bytes.catalog !== 0)
            throw new Error(`fetched ${JSON.stringify(bytes.files.filter((f) => f.kind === 'catalog'))}`);
          if (errors.length) throw new Error(`console errors: ${errors.join('\n')}`);
          report.bytes.noCatalog = bytes;
          await context.close();
        },
      );
      await check('react app: engine-ready time over 5 cold loads (fresh browser contexts)', async () => {
        const loads = [];
        for (let i = 0; i < 5; i++) {
          const { context, page, started } = await open(base);
          await readyVariant(page);
          const pageMs = performance.now() - started;
          await page.waitForSelector('#router', { state: 'attached', timeout: 60_000 });
          loads.push({
            startMs: Number(await page.getAttribute('#status', 'data-start-ms')),
            pageMs,
            routerFromNavigationMs: Number(await page.getAttribute('#router', 'data-at')),
          });
          await context.close();
        }
        report.ready = {
          variant: 'simd-mt',
          loads,
          medianStartMs: median(loads.map((l) => l.startMs)),
          medianPageMs: median(loads.map((l) => l.pageMs)),
          medianRouterFromNavigationMs: median(loads.map((l) => l.routerFromNavigationMs)),
        };
      });
    } finally {
      preview.stop();
    }

    await check(
      'react app (vite dev, <StrictMode>): one engine starts, the aborted start-up leaves no worker',
      async () => {
        const dev = await serve(
          join(app, 'node_modules/.bin/vite'),
          ['--port', '4392', '--strictPort', '--host', '127.0.0.1'],
          app,
          'http://127.0.0.1:4392/',
        );
        try {
          const { context, page, errors } = await open('http://127.0.0.1:4392/');
          const variant = await readyVariant(page);
          await page.waitForTimeout(1500); // let any leaked start-up show itself
          const engineWorkers = page.workers().filter((w) => /\/worker\.js/.test(w.url()));
          const statusText = await page.textContent('#status');
          const workers = Number(/(\d+) worker/.exec(statusText)?.[1]);
          if (engineWorkers.length !== workers)
            throw new Error(
              `${engineWorkers.length} engine workers running, the engine has ${workers}: ${engineWorkers.map((w) => w.url()).join(', ')}`,
            );
          await page.click('#index');
          await page.waitForSelector('#search:text-matches("nearest: 123")', { timeout: 60_000 });
          if (errors.length) throw new Error(`console errors: ${errors.join('\n')}`);
          report.react.dev = { variant, workers };
          await context.close();
        } finally {
          dev.stop();
        }
      },
    );
  }
} finally {
  await browser.close();
  const out = join(repo, 'build/test-results');
  mkdirSync(out, { recursive: true });
  report.passed = passed;
  report.failures = failures;
  report.seconds = (performance.now() - t0) / 1000;
  writeFileSync(join(out, 'consumer.json'), JSON.stringify(report, null, 2));
  if (!keep) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
}

const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
if (report.tarball)
  log(
    `tarball ${kb(report.tarball.bytes)} (${report.tarball.files.length} files, ${kb(report.tarball.unpackedBytes)} unpacked)`,
  );
for (const [k, b] of Object.entries(report.bytes))
  log(
    `${k}: wasm ${kb(b.wasm)} + glue ${kb(b.glue)} + catalog ${kb(b.catalog)} = ${kb(b.engine)} brotli; worker ${kb(b.worker)}, app ${kb(b.app)}`,
  );
if (report.ready)
  log(
    `median of 5 cold loads: engine ready ${report.ready.medianStartMs.toFixed(0)} ms after createEngine() (${report.ready.medianPageMs.toFixed(0)} ms after navigation), router ready ${report.ready.medianRouterFromNavigationMs.toFixed(0)} ms after navigation`,
  );
log(
  failures.length ? `${failures.length} failed: ${failures.join('; ')}` : 'all passed',
  '→ build/test-results/consumer.json',
);
process.exit(failures.length ? 1 : 0);
