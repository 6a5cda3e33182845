// Generated at build time by scripts/build-wasm.sh.
declare module '*/pthread-worker-source.js' {
  const source: string;
  export default source;
}
