/**
 * elex-wasm: the public API.
 *
 * ```ts
 * import { createEngine } from 'elex-wasm';
 * const engine = await createEngine();
 * const answer = await engine.query('which parameters control MIMO sleep start time?');
 * ```
 *
 * What advanced users need beyond this (same-thread bindings pieces, the
 * learned-state stores, feature detection) is in `elex-wasm/advanced`.
 *
 * @packageDocumentation
 */
export { createEngine } from './api/engine.ts';
export type {
  BatchOptions,
  ControlOptions,
  DistanceBatchResult,
  Engine,
  EngineDebug,
  EngineInfo,
  EngineOptions,
  EnginePhase,
  EngineProgress,
  RoutingOptions,
  ShardTiming,
} from './api/engine.ts';
export { instantiate } from './bindings/bindings.ts';
export type {
  Bindings,
  BuildInfo,
  DecodedVectors,
  DistanceBatchInput,
  DistanceBatchOutput,
  HeapBlock,
  IndexHandle,
  InstantiateOptions,
  Metric,
  RecordSpan,
} from './bindings/bindings.ts';
export { NO_HIT } from './core/index-types.ts';
export type {
  ExactMode,
  IndexOptions,
  IndexStats,
  Quantization,
  SearchOptions,
  SearchResult,
} from './core/index-types.ts';
export type {
  EngineAddOptions,
  EngineIndex,
  EngineIndexStats,
  EngineSearchOptions,
  EngineSearchResult,
  IndexProgress,
  IndexRecoveryStats,
} from './api/engine-index.ts';
export type { CallOptions } from './parallel/pool.ts';
export { ElexError, ErrorCodes, isElexError } from './core/errors.ts';
export type { ErrorCode } from './core/errors.ts';
export { VARIANTS } from './bindings/platform.ts';
export type { Variant } from './bindings/platform.ts';
export type { BundleOverrides, BundleUrls } from './bindings/bundles.ts';
export type { CrashMode } from './parallel/protocol.ts';
export type { RestoreFigures, WorkerCallStats } from './parallel/pool.ts';
export { AGENT_ACTIONS, COMPLEXITIES, DEFAULT_LEARNING, QUERY_TYPES } from './core/learn-types.ts';
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
} from './core/learn-types.ts';
export type { DecideOptions, DecideResult, EngineStats, FeedbackOptions, PersistOptions } from './api/engine-learn.ts';
export type { RestoreReport, SaveReport } from './host/agent-host.ts';
export type { PersistBackend } from './host/persist.ts';
export { checkCatalog, loadCatalog } from './host/catalog.ts';
export type {
  Catalog,
  CatalogProblem,
  CatalogStats,
  Counter,
  Feature,
  GlossaryEntry,
  Kpi,
  LoadedCatalog,
  Parameter,
  SafeZone,
} from './host/catalog.ts';
export { loadDefaultCatalog } from './api/engine-query.ts';
export type {
  CatalogSource,
  KpiSummary,
  MonitorAlert,
  MonitorBatch,
  MonitorOptions,
  MonitorResult,
  QueryOptions,
  QueryRequest,
  QueryResult,
  QueryTimings,
  ValidateBatchResult,
  ValidateResult,
} from './api/engine-query.ts';
export type {
  AgentAnswer,
  AgentReply,
  FeatureCard,
  MatchedItem,
  PastQuery,
  RouteEvidence,
  RoutedFeature,
  ItemKind,
  RouteWeights,
} from './host/ran-host.ts';
export type { RanStats, RouterCacheState } from './parallel/protocol.ts';
export type { RouterBuildPhases } from './host/ran-host.ts';
export type {
  ParameterChange,
  ValidateOptions,
  ValidationBatch,
  ValidationReason,
  ValidationResult,
  Verdict,
} from './host/ran-ops.ts';
export { MAX_CHANGES, VALIDATION_REASONS, VERDICTS } from './host/ran-ops.ts';
