// The same page as examples/vanilla, bundled by esbuild. esbuild does not
// rewrite the package's `new URL(…, import.meta.url)` forms, so build.mjs
// copies the engine's files to dist/elex/ and the page says where they are
// (baseUrl, relative to the page).
import { createEngine } from 'elex-wasm';

const status = document.getElementById('status');

async function main() {
  let starting = true;
  const engine = await createEngine({
    baseUrl: 'dist/elex/',
    onProgress: (p) => starting && (status.textContent = `starting… ${p.phase} ${p.done}/${p.total}`),
  });
  starting = false;
  const info = engine.info();
  status.textContent = `ready: ${info.variant}, started in ${info.startMs.toFixed(0)} ms`;
  status.dataset.variant = info.variant;

  const answer = await engine.query('which parameters control MIMO sleep start time?');
  for (const f of answer.features) {
    const li = document.createElement('li');
    li.textContent = `${f.code} ${f.name} (${f.score.toFixed(2)})`;
    document.getElementById('features').append(li);
  }

  const dim = 16;
  const data = Float32Array.from({ length: 500 * dim }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const index = await engine.createIndex('esbuild', { dim });
  await index.add(
    Uint32Array.from({ length: 500 }, (_, i) => i),
    data,
  );
  const hit = await index.search(data.slice(42 * dim, 43 * dim), 3);
  document.getElementById('search').textContent = `nearest: ${Array.from(hit.ids).join(', ')}`;
  status.dataset.done = 'true';
}

main().catch((e) => {
  console.error(e);
  status.textContent = `failed: ${e.code ?? ''} ${e.message}`;
  status.dataset.error = 'true';
});
