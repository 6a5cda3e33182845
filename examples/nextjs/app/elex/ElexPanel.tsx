'use client';
import { useEffect, useState } from 'react';
import { createEngine, isElexError, type Engine, type RoutedFeature } from 'elex-wasm';

type State =
  | { phase: 'starting'; progress: string }
  | { phase: 'ready'; variant: string; features: RoutedFeature[]; nearest: number[] }
  | { phase: 'failed'; message: string };

export default function ElexPanel() {
  const [state, setState] = useState<State>({ phase: 'starting', progress: '' });
  useEffect(() => {
    // React's development double mount runs this twice: the first start-up
    // is aborted, and an engine that did start is closed.
    const controller = new AbortController();
    let engine: Engine | null = null;
    (async () => {
      engine = await createEngine({
        signal: controller.signal,
        onProgress: (p) => setState({ phase: 'starting', progress: `${p.phase} ${p.done}/${p.total}` }),
      });
      const answer = await engine.query('which parameters control MIMO sleep start time?');
      const dim = 16;
      const data = Float32Array.from({ length: 500 * dim }, (_, i) => Math.sin(i * 12.9898) * 0.5);
      const index = await engine.createIndex('nextjs', { dim });
      await index.add(
        Uint32Array.from({ length: 500 }, (_, i) => i),
        data,
      );
      const hit = await index.search(data.slice(42 * dim, 43 * dim), 3);
      setState({
        phase: 'ready',
        variant: engine.info().variant,
        features: answer.features,
        nearest: Array.from(hit.ids),
      });
    })().catch((e: unknown) => {
      if (controller.signal.aborted) return;
      setState({ phase: 'failed', message: isElexError(e) ? `${e.code}: ${e.message}` : String(e) });
    });
    return () => {
      controller.abort();
      void engine?.close();
    };
  }, []);

  if (state.phase === 'failed')
    return (
      <p id="status" data-error="true">
        failed: {state.message}
      </p>
    );
  if (state.phase === 'starting') return <p id="status">starting… {state.progress}</p>;
  return (
    <>
      <p id="status" data-variant={state.variant} data-done="true">
        ready: {state.variant}
      </p>
      <ol id="features">
        {state.features.map((f) => (
          <li key={f.code}>
            {f.code} {f.name} ({f.score.toFixed(2)})
          </li>
        ))}
      </ol>
      <p id="search">nearest: {state.nearest.join(', ')}</p>
    </>
  );
}
