/**
 * useElexEngine: an ELEX engine for a React component tree.
 *
 * Starts the engine when the component mounts and closes it when it
 * unmounts. Under <StrictMode> React mounts, unmounts and mounts again in
 * development: the first start-up is aborted through its AbortSignal (its
 * workers are stopped, nothing leaks) and the second one is the engine you
 * get. Copy this file into your app; it depends only on react and elex-wasm.
 */
import { useEffect, useRef, useState } from 'react';
import { createEngine, isElexError, type Engine, type EngineOptions, type EngineProgress } from 'elex-wasm';

export type ElexEngineState =
  | { status: 'starting'; engine: null; progress: EngineProgress | null; error: null }
  | { status: 'ready'; engine: Engine; progress: EngineProgress | null; error: null }
  | { status: 'failed'; engine: null; progress: EngineProgress | null; error: Error };

/**
 * `options` are read when the engine starts; change `key` to start a new
 * engine with the current options (the old one is closed first).
 */
export function useElexEngine(options: Omit<EngineOptions, 'signal'> = {}, key: unknown = 0): ElexEngineState {
  const [state, setState] = useState<ElexEngineState>({
    status: 'starting',
    engine: null,
    progress: null,
    error: null,
  });
  const optionsRef = useRef(options);
  optionsRef.current = options;

  useEffect(() => {
    const controller = new AbortController();
    let engine: Engine | null = null;
    setState({ status: 'starting', engine: null, progress: null, error: null });
    const { onProgress } = optionsRef.current;
    createEngine({
      ...optionsRef.current,
      signal: controller.signal,
      onProgress: (progress) => {
        onProgress?.(progress);
        if (controller.signal.aborted) return;
        setState((s) => ({ ...s, progress }) as ElexEngineState);
      },
    }).then(
      (started) => {
        if (controller.signal.aborted) {
          void started.close(); // unmounted just as it became ready
          return;
        }
        engine = started;
        setState((s) => ({ status: 'ready', engine: started, progress: s.progress, error: null }));
      },
      (error: unknown) => {
        if (controller.signal.aborted && isElexError(error) && error.code === 'ABORTED') return; // our own cleanup
        const failure = error instanceof Error ? error : new Error(String(error));
        setState((s) => ({ status: 'failed', engine: null, progress: s.progress, error: failure }));
      },
    );
    return () => {
      controller.abort();
      void engine?.close();
    };
  }, [key]);

  return state;
}
