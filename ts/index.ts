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
export { createEngine } from './engine.ts';
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
} from './engine.ts';
export { instantiate } from './bindings.ts';
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
} from './bindings.ts';
export { NO_HIT } from './index-types.ts';
export type { ExactMode, IndexOptions, IndexStats, Quantization, SearchOptions, SearchResult } from './index-types.ts';
export type {
  EngineIndex,
  EngineIndexStats,
  EngineSearchOptions,
  EngineSearchResult,
  IndexRecoveryStats,
} from './engine-index.ts';
export { ElexError, ErrorCodes, isElexError } from './errors.ts';
export type { ErrorCode } from './errors.ts';
export { VARIANTS } from './platform.ts';
export type { Variant } from './platform.ts';
export type { BundleOverrides, BundleUrls } from './bundles.ts';
export type { CrashMode } from './protocol.ts';
export type { RestoreFigures, WorkerCallStats } from './pool.ts';
export { AGENT_ACTIONS, COMPLEXITIES, DEFAULT_LEARNING, QUERY_TYPES } from './learn-types.ts';
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
export type { DecideOptions, DecideResult, EngineStats, FeedbackOptions, PersistOptions } from './engine-learn.ts';
export type { RestoreReport, SaveReport } from './agent-host.ts';
export type { PersistBackend } from './persist.ts';
export { checkCatalog, loadCatalog } from './catalog.ts';
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
} from './catalog.ts';
export { loadDefaultCatalog } from './engine-query.ts';
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
} from './engine-query.ts';
export type {
  AgentAnswer,
  AgentReply,
  FeatureCard,
  MatchedItem,
  PastQuery,
  RouteEvidence,
  RoutedFeature,
  RouteWeights,
} from './ran-host.ts';
export type { RanStats, RouterCacheState } from './protocol.ts';
export type { RouterBuildPhases } from './ran-host.ts';
export type {
  ParameterChange,
  ValidateOptions,
  ValidationBatch,
  ValidationReason,
  ValidationResult,
  Verdict,
} from './ran-ops.ts';
export { MAX_CHANGES, VALIDATION_REASONS, VERDICTS } from './ran-ops.ts';
