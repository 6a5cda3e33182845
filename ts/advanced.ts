/**
 * elex-wasm/advanced: pieces for users who build on the engine below
 * createEngine(): feature detection and the bundle choice, compiling a
 * variant once (Bindings, whose classify() is the engine's question
 * classifier), and the learned-state host and its stores. Stable, but closer to the implementation than `elex-wasm`.
 *
 * @packageDocumentation
 */
export { Bindings, IndexHandle, compileVariant } from './bindings/bindings.ts';
export type { ClassifyCandidate } from './bindings/bindings.ts';
export { detectFeatures, selectBundle, defaultPoolShape } from './bindings/platform.ts';
export type { PlatformFeatures, PoolShape, SelectBundleOptions } from './bindings/platform.ts';
export { AgentHost } from './host/agent-host.ts';
export type { HostSetup, PersistSetup } from './host/agent-host.ts';
export { MemoryStore, OpfsStore, IdbStore, openStore } from './host/persist.ts';
export type { BytesSource, Checksum, KeyValueStore, ReadTarget } from './host/persist.ts';
export { AGENT_SHARDS, agentShardOf } from './core/learn-types.ts';
