/**
 * scripts/start.sh (`npm start`, the README's first command) run a second
 * time, or with a bad PORT: it fails at once, saying why, before it sets up
 * or rebuilds anything (a rebuild would replace build/wasm under the
 * dashboard that is already being served). Run in a copy of the script with
 * stand-ins for setup, the wasm build and npx that only log their call.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const PORT = 4433; // this suite's own port (the e2e suites use others)
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function sandbox(): { root: string; log: string; run: (env: Record<string, string>) => ReturnType<typeof spawnSync> } {
  const root = mkdtempSync(join(tmpdir(), 'elex-start-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const log = join(root, 'calls.log');
  mkdirSync(join(root, 'scripts'));
  mkdirSync(join(root, 'bin'));
  copyFileSync(join(repo, 'scripts/start.sh'), join(root, 'scripts/start.sh'));
  const stub = (path: string, name: string) => {
    writeFileSync(path, `#!/usr/bin/env bash\necho "${name} $*" >> "${log}"\n`);
    chmodSync(path, 0o755);
  };
  stub(join(root, 'scripts/setup.sh'), 'setup');
  stub(join(root, 'scripts/build-wasm.sh'), 'build-wasm');
  stub(join(root, 'bin/npx'), 'npx');
  writeFileSync(log, '');
  return {
    root,
    log,
    run: (env) =>
      spawnSync('bash', [join(root, 'scripts/start.sh')], {
        env: { ...process.env, PATH: `${join(root, 'bin')}:${process.env.PATH}`, ...env },
        encoding: 'utf8',
        timeout: 20_000,
      }),
  };
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

test('a port already in use (npm start run twice) fails at once, before setting up or rebuilding', async () => {
  const busy = await listen(PORT);
  cleanups.push(() => busy.close());
  const box = sandbox();
  const r = box.run({ PORT: String(PORT) });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain(`port ${PORT} is already in use`);
  expect(r.stderr).toContain('PORT=');
  expect(readFileSync(box.log, 'utf8')).toBe('');
});

test('a PORT that is not a port number fails at once, saying so', () => {
  const box = sandbox();
  for (const port of ['abc', '0', '70000', '80 81']) {
    const r = box.run({ PORT: port });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('PORT must be a port number');
  }
  expect(readFileSync(box.log, 'utf8')).toBe('');
});

test('a free port: sets up, builds, then serves on that port', () => {
  const box = sandbox();
  const r = box.run({ PORT: String(PORT) });
  expect(r.status).toBe(0);
  expect(readFileSync(box.log, 'utf8')).toBe(`setup \nbuild-wasm \nnpx vite --port ${PORT}\n`);
});
