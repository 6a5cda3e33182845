/**
 * elex-wasm/advanced: pieces for users who build on the engine below
 * createEngine(): feature detection and the bundle choice, compiling a
 * variant once (Bindings, whose classify() is the engine's question
 * classifier), and the learned-state host and its stores. Stable, but closer to the implementation than `elex-wasm`.
 *
 * @packageDocumentation
 */
export { Bindings, IndexHandle, compileVariant } from './bindings.ts';
export { detectFeatures, selectBundle, defaultPoolShape } from './platform.ts';
export type { PlatformFeatures, PoolShape } from './platform.ts';
export { AgentHost } from './agent-host.ts';
export type { HostSetup, PersistSetup } from './agent-host.ts';
export { MemoryStore, OpfsStore, IdbStore, openStore } from './persist.ts';
export type { BytesSource, Checksum, KeyValueStore, ReadTarget } from './persist.ts';
export { AGENT_SHARDS, agentShardOf } from './learn-types.ts';
