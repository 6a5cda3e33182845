/**
 * elex-wasm: the public API.
 *
 *   import { createEngine } from 'elex-wasm';
 *   const engine = await createEngine();
 *   console.log(engine.info());
 */
export { createEngine } from './engine.ts';
export type {
  BatchOptions,
  DistanceBatchResult,
  Engine,
  EngineDebug,
  EngineInfo,
  EngineOptions,
  ShardTiming,
} from './engine.ts';
export { instantiate, compileVariant, Bindings, IndexHandle } from './bindings.ts';
export { NO_HIT } from './index-types.ts';
export type { IndexOptions, IndexStats, Quantization, SearchOptions, SearchResult, ExactMode } from './index-types.ts';
export type { EngineIndex, EngineIndexStats, EngineSearchOptions, EngineSearchResult } from './engine-index.ts';
export type {
  BuildInfo,
  DecodedVectors,
  DistanceBatchInput,
  DistanceBatchOutput,
  HeapBlock,
  InstantiateOptions,
  Metric,
  RecordSpan,
} from './bindings.ts';
export { ElexError, ErrorCodes, isElexError } from './errors.ts';
export type { ErrorCode } from './errors.ts';
export { detectFeatures, selectBundle, defaultPoolShape, VARIANTS } from './platform.ts';
export type { PlatformFeatures, PoolShape, Variant } from './platform.ts';
export type { BundleOverrides, BundleUrls } from './bundles.ts';
export type { CrashMode } from './protocol.ts';
export type { WorkerCallStats } from './pool.ts';
export {
  AGENT_ACTIONS,
  AGENT_SHARDS,
  COMPLEXITIES,
  DEFAULT_LEARNING,
  QUERY_TYPES,
  agentShardOf,
} from './learn-types.ts';
export type {
  AgentAction,
  AgentInfo,
  AgentState,
  AgentValues,
  Complexity,
  Decision,
  LearningOptions,
  MemoryStats,
  QueryType,
} from './learn-types.ts';
export type { DecideOptions, DecideResult, EngineStats, PersistOptions } from './engine-learn.ts';
export { AgentHost } from './agent-host.ts';
export type { HostSetup, PersistSetup, RestoreReport, SaveReport } from './agent-host.ts';
export { MemoryStore, OpfsStore, IdbStore, openStore } from './persist.ts';
export type { BytesSource, KeyValueStore, PersistBackend, ReadTarget } from './persist.ts';
export { loadCatalog, checkCatalog } from './catalog.ts';
export type {
  Catalog,
  CatalogProblem,
  CatalogStats,
  Counter,
  Feature,
  Kpi,
  LoadedCatalog,
  Parameter,
  SafeZone,
} from './catalog.ts';
export { DEFAULT_CATALOG_URL } from './engine-query.ts';
export type { CatalogSource, QueryOptions, QueryRequest, QueryResult, QueryTimings } from './engine-query.ts';
export type { AgentAnswer, AgentReply, FeatureCard, MatchedItem, PastQuery, RoutedFeature } from './ran-host.ts';
export type { RanStats } from './protocol.ts';
export { classifyType, classifyComplexity } from './classify.ts';
export type {
  KpiSummary,
  MonitorAlert,
  MonitorBatch,
  MonitorOptions,
  MonitorResult,
  ValidateBatchResult,
  ValidateResult,
} from './engine-query.ts';
export type {
  ParameterChange,
  ValidateOptions,
  ValidationBatch,
  ValidationReason,
  ValidationResult,
  Verdict,
} from './ran-ops.ts';
export { MAX_CHANGES, VALIDATION_REASONS, VERDICTS } from './ran-ops.ts';
