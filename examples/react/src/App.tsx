/**
 * A minimal ELEX app: ask the routing engine a question, and build and
 * search a small vector index. `?catalog=0` starts the engine without a
 * catalog (no routing, nothing of the default catalog is downloaded).
 */
import { useEffect, useState } from 'react';
import type { QueryResult } from 'elex-wasm';
import { useElexEngine } from './useElexEngine';

const withCatalog = new URLSearchParams(location.search).get('catalog') !== '0';

/** Deterministic vectors, uniform in [-1, 1). */
function vectors(count: number, dim: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(count * dim);
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export default function App() {
  const elex = useElexEngine(withCatalog ? {} : { catalog: false });
  const [question, setQuestion] = useState('which parameters control MIMO sleep start time?');
  const [answer, setAnswer] = useState<QueryResult | null>(null);
  const [search, setSearch] = useState<string>('');
  const [error, setError] = useState<string>('');
  // The router is built in the workers after the engine is ready; questions wait for it.
  const [routerAt, setRouterAt] = useState<number | null>(null);
  const engineOrNull = elex.engine;
  useEffect(() => {
    if (!engineOrNull || !withCatalog) return;
    const controller = new AbortController();
    engineOrNull.routerReady({ signal: controller.signal }).then(
      () => setRouterAt(performance.now()),
      () => {}, // aborted on unmount, or the engine closed
    );
    return () => controller.abort();
  }, [engineOrNull]);

  if (elex.status === 'failed') return <p id="status">failed: {elex.error.message}</p>;
  if (elex.status === 'starting')
    return (
      <p id="status">
        starting… {elex.progress ? `${elex.progress.phase} ${elex.progress.done}/${elex.progress.total}` : ''}
      </p>
    );
  const { engine } = elex;
  const info = engine.info();

  const ask = async () => {
    try {
      setAnswer(await engine.query(question));
    } catch (e) {
      setError(String(e));
    }
  };
  const indexDemo = async () => {
    try {
      const dim = 32;
      const index = await engine.createIndex('demo', { dim });
      const data = vectors(1000, dim, 7);
      await index.add(
        Uint32Array.from({ length: 1000 }, (_, i) => i),
        data,
      );
      // The vector of id 123 is its own nearest neighbour.
      const hit = await index.search(data.slice(123 * dim, 124 * dim), 3);
      setSearch(`nearest: ${Array.from(hit.ids).join(', ')}`);
      await index.drop();
    } catch (e) {
      setError(String(e));
    }
  };

  return (
    <main>
      <p id="status" data-variant={info.variant} data-start-ms={info.startMs.toFixed(1)}>
        ready: {info.variant}, {info.workers} worker(s), started in {info.startMs.toFixed(0)} ms
      </p>
      {withCatalog && (
        <section>
          <input value={question} onChange={(e) => setQuestion(e.target.value)} size={60} />
          <button id="ask" disabled={routerAt === null} onClick={() => void ask()}>
            {routerAt === null ? 'Building the router…' : 'Ask'}
          </button>
          {routerAt !== null && <span id="router" data-at={routerAt.toFixed(1)} />}
          {answer && (
            <ol id="features">
              {answer.features.map((f) => (
                <li key={f.code}>
                  {f.code} {f.name} ({f.score.toFixed(2)})
                </li>
              ))}
            </ol>
          )}
        </section>
      )}
      <button id="index" onClick={() => void indexDemo()}>
        Build and search an index
      </button>
      <p id="search">{search}</p>
      {error && <p id="error">{error}</p>}
    </main>
  );
}
