// elex/elex.h — the flat C ABI of the ELEX engine (what the wasm exports).
//
// Conventions:
//   - Every fallible function returns an elex_status (status.h). On failure
//     elex_last_error() gives a message for a person, on the calling thread,
//     until the next failing call. Nothing throws or aborts across this ABI.
//   - Arguments are plain numbers and pointers into the module's memory.
//     Buffers the engine returns are freed with elex_free().
//   - Results of more than one number come back as structs (elex_*_stats,
//     elex_kpi_eval_args...): explicit-width fields at their natural
//     alignment, no padding. The ones marked `@ts-struct` are read by
//     TypeScript through ts/generated/abi.ts, and engine/src/api/abi_layout.h
//     (both written by scripts/gen-abi.mjs from this file) checks every
//     size and offset with static_assert (on wasm32 for structs holding
//     pointers). Counts and byte sizes are doubles: exact to 2^53, and
//     read by JavaScript as numbers.
//   - An elex_engine holds a thread pool; one engine per wasm instance is
//     the intended use. Calls on one engine must not overlap.
#ifndef ELEX_ELEX_H
#define ELEX_ELEX_H

#include <stddef.h>
#include <stdint.h>

#include "elex/core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Bumped when a function below changes its signature or meaning (10: the
/// long calls take request structs: elex_distance_batch[_reference],
/// elex_index_search, elex_agent_decide, elex_agents_snapshot,
/// elex_validator_run; 11: elex_router_route returns the question's type and
/// complexity and each feature's card, and elex_classify; 13:
/// elex_router_items; 14: elex_router_spec.weights gains the direction; 15:
/// elex_validator_create takes double bounds; 16: elex_route_feature gains
/// technology and direction; 17: elex_index_add_bytes).
#define ELEX_ABI_VERSION 18

typedef struct elex_engine elex_engine;

/// The ABI version this module implements (ELEX_ABI_VERSION).
uint32_t elex_abi_version(void);

/// Calling thread's last error message ("" if none).
const char* elex_last_error(void);

/// malloc / free in the module's memory. elex_alloc returns 0 when the
/// module cannot grow further.
void* elex_alloc(size_t bytes);
void elex_free(void* ptr);

/// Creates an engine whose loops use up to `threads` threads, caller
/// included (0 = as many as the build supports, capped at 64). Fewer may be
/// started: see elex_engine_threads().
int elex_engine_create(uint32_t threads, elex_engine** out);
void elex_engine_destroy(elex_engine* engine);

/// Threads the engine's loops really use (>= 1).
uint32_t elex_engine_threads(const elex_engine* engine);

/// Build facts as a JSON object in a static buffer:
///   {"abi":1,"version":"0.1.0","variant":"simd-mt","kernel":"simd128",
///    "threadsSupported":true,"threads":N}
/// `threads` is elex_engine_threads(engine), or 1 when engine is null.
const char* elex_build_info(const elex_engine* engine);

/// Distance of one pair (metric: 0 = L2 squared, 1 = inner product as
/// 1 - dot, 2 = cosine as 1 - cos; see kernels.h).
int elex_distance(int metric, const float* a, const float* b, uint32_t dim, float* out);

/// A many-to-many distance batch (elex_distance_batch): out[q * nv + v] =
/// distance(queries[q], vectors[v]). 28 bytes on wasm32.
/// @ts-struct DISTANCE_BATCH_ARGS
typedef struct elex_distance_batch_args {
  const float* queries;  ///< nq × dim, row-major
  const float* vectors;  ///< nv × dim, row-major
  float* out;            ///< nq × nv, written
  int32_t metric;        ///< 0 = L2 squared, 1 = inner product, 2 = cosine (kernels.h Metric)
  uint32_t nq;
  uint32_t nv;
  uint32_t dim;
} elex_distance_batch_args;

/// The batch `args` describes, split across the engine's threads.
/// *threads_used (may be null) receives how many distinct threads did part
/// of the work.
int elex_distance_batch(elex_engine* engine, const elex_distance_batch_args* args,
                        uint32_t* threads_used);

/// The same computed with the scalar reference kernels on one thread.
int elex_distance_batch_reference(const elex_distance_batch_args* args);

/// Serialises a vector set (vectors.h). *out is freed with elex_free.
int elex_vectors_encode(const float* data, uint32_t count, uint32_t dim, uint8_t** out,
                        size_t* out_size);

/// Parses a vector set. *data is freed with elex_free.
int elex_vectors_decode(const uint8_t* bytes, size_t size, float** data, uint32_t* count,
                        uint32_t* dim);

// -------------------------------------------------------------- container
// The ELEX container (format.h) for formats the host assembles (a sharded
// index, spilled agent records) and the CRC-32 of its own small headers:
// the TypeScript side has no copy of either.

/// CRC-32 (IEEE 802.3; "123456789" gives 0xCBF43926) of `size` bytes.
uint32_t elex_crc32(const uint8_t* bytes, size_t size);

/// One section of a container: its tag (four ASCII bytes, the first in the
/// low byte) and where its payload is, in bytes.
/// @ts-struct CONTAINER_SECTION
typedef struct elex_container_section {
  uint32_t tag;
  uint32_t reserved;  ///< 0
  double offset;  ///< into the blob (elex_container_write) or the container (elex_container_read)
  double size;
} elex_container_section;

/// A container of `kind` (format.h ContainerKind) holding n sections in
/// order; section i's payload is blob[sections[i].offset ..][0 ..
/// sections[i].size). *out freed with elex_free.
int elex_container_write(uint32_t kind, const uint8_t* blob, size_t blob_size,
                         const elex_container_section* sections, uint32_t n, uint8_t** out,
                         size_t* out_size);
/// Verifies a container of `kind` (FOREIGN_DATA / UNSUPPORTED_VERSION /
/// CORRUPT_DATA as format.h says) and locates its sections in the order
/// written: sections[0 .. *count), at most `capacity` (INVALID_ARGUMENT if
/// it holds more).
int elex_container_read(const uint8_t* bytes, size_t size, uint32_t kind,
                        elex_container_section* sections, uint32_t capacity, uint32_t* count);

// ------------------------------------------------------------------ index
// An HNSW index (hnsw.h). Calls on one index must not overlap.

typedef struct elex_index elex_index;

/// metric: 0 l2, 1 ip, 2 cosine. quantization (cosine only when not 0): 0 none,
/// 1 int8 codes, 2 int8 codes plus f32 originals for an exact re-rank.
int elex_index_create(uint32_t dim, int metric, uint32_t M, uint32_t ef_construction,
                      uint32_t quantization, uint32_t seed, elex_index** out);
void elex_index_destroy(elex_index* index);

/// Adds n vectors; `floats` must be n * dim (else DIMENSION_MISMATCH). Uses
/// the engine's threads when engine is not null.
int elex_index_add(elex_engine* engine, elex_index* index, const uint32_t* ids, uint32_t n,
                   const float* vectors, size_t floats);
/// Room for `items` vectors (removed ones included), allocated now, so adds
/// up to that size never move the index's arenas (a move needs the old and
/// the new block at once). No-op below the capacity held. (ABI 3)
int elex_index_reserve(elex_index* index, uint32_t items);
/// *out = the bytes an add of n vectors grows the index by now (its arenas
/// grow by half again once full), for the memory budget to reserve before
/// the add. (ABI 15)
int elex_index_add_bytes(const elex_index* index, uint32_t n, double* out);

/// One search of an index (elex_index_search): the k nearest of each
/// query. Outputs hold (floats / dim) × k entries, query-major. 40 bytes on
/// wasm32.
/// @ts-struct INDEX_SEARCH_ARGS
typedef struct elex_index_search_args {
  double floats;         ///< query floats: a multiple of the index's dim (a whole number)
  const float* queries;  ///< floats / dim queries, row-major
  uint32_t* out_ids;     ///< written: the ids, nearest first
  float* out_dist;       ///< written: their distances
  uint32_t k;            ///< neighbours per query
  uint32_t ef;           ///< search breadth (hnsw.h)
  uint32_t exact;        ///< hnsw.h ExactMode: 0 auto, 1 never, 2 always
  uint32_t rerank;       ///< int8 indexes: candidates re-ranked (0 = max(2k, 16))
  uint32_t reserved;     ///< 0
} elex_index_search_args;

/// Searches `index` (engine may be null: one thread).
int elex_index_search(elex_engine* engine, const elex_index* index,
                      const elex_index_search_args* args);

int elex_index_remove(elex_index* index, const uint32_t* ids, uint32_t n, uint32_t* removed);

/// What elex_index_stats reports.
/// @ts-struct INDEX_STATS
typedef struct elex_index_stats_t {
  double bytes;        ///< bytes the index holds
  uint32_t nodes;      ///< nodes, removed ones included
  uint32_t live;       ///< nodes not removed
  uint32_t max_level;  ///< top layer
  uint32_t dim;        ///< dimension
  uint32_t m;          ///< M (links per node above layer 0)
  uint32_t ef_construction;
  uint32_t metric;        ///< kernels.h Metric
  uint32_t quantization;  ///< hnsw.h Quantization
} elex_index_stats_t;

int elex_index_stats(const elex_index* index, elex_index_stats_t* out);

/// Writes an ELEX container of kind HnswIndex at format version 2 (int8
/// nodes carry their own code factor); elex_index_deserialize also reads
/// version 1.
int elex_index_serialize(const elex_index* index, uint8_t** out, size_t* out_size);
int elex_index_deserialize(const uint8_t* bytes, size_t size, elex_index** out);

// ------------------------------------------------- agents and memory budget
// Feature agents (learn.h) held by the engine inside a byte budget
// (agents.h). Feature codes are UTF-8 bytes (1..255). Query ids are
// integers 1..2^53 passed as doubles.

/// A learning configuration (learn.h Config). The integers (trajectory ..
/// seed) are doubles holding whole numbers 0..2^53.
/// @ts-struct LEARNING_CONFIG
typedef struct elex_learning_config {
  double alpha;
  double gamma;
  double epsilon;
  double epsilon_min;
  double epsilon_decay;
  double trajectory;
  double replay;
  double replay_batch;
  double max_states;
  double seed;
} elex_learning_config;

/// Learning configuration for agents created from now on (existing agents
/// keep theirs).
int elex_agents_configure(elex_engine* engine, const elex_learning_config* cfg);

/// Budget in bytes for this instance (>= 64 KiB; in wasm at most 4/5 of the
/// memory's maximum, 512 MiB of 640, and a larger one is that: the rest is
/// for what the budget does not count, such as calls' inputs and outputs)
/// and the pressure from which each call ends with an eviction round (0..1;
/// 1, the default, means evict only when a call does not fit).
int elex_memory_configure(elex_engine* engine, double budget_bytes, double high_water);
/// Bytes this instance holds outside agents (indexes...), reported by the host.
int elex_memory_set_external(elex_engine* engine, double bytes);
/// Makes room for `bytes` more, evicting cold agents; BUDGET_EXCEEDED if impossible.
int elex_memory_reserve(elex_engine* engine, double bytes);
/// The memory budget and the agents in it (elex_memory_stats).
/// @ts-struct MEMORY_STATS
typedef struct elex_memory_stats_t {
  double budget_bytes;     ///< the budget
  double used_bytes;       ///< counted against it: agents, spill queue, external
  double agent_bytes;      ///< resident agents
  double spill_bytes;      ///< evicted records waiting for the host
  double external_bytes;   ///< reported by the host (elex_memory_set_external)
  double live_heap_bytes;  ///< malloc'ed bytes in use
  double heap_bytes;       ///< the module's heap size
  double pressure;         ///< used / budget
  double evictions;        ///< agents evicted so far
  double evicted_bytes;    ///< their bytes
  double eviction_rounds;  ///< rounds run
  double budget_failures;  ///< calls that failed with BUDGET_EXCEEDED
  double hot_agents;       ///< resident agents
  double spill_queued;     ///< records in the spill queue
  double decisions;        ///< decisions of the resident agents
  double updates;          ///< Q-updates of the resident agents
  double reward_sum;       ///< their rewards summed
  double epsilon_mean;     ///< their mean exploration rate
} elex_memory_stats_t;

int elex_memory_stats(const elex_engine* engine, elex_memory_stats_t* out);

/// An agent's decision (elex_agent_decide).
/// @ts-struct DECISION
typedef struct elex_decision {
  uint32_t action;    ///< learn.h Action
  float confidence;   ///< in [0, 1]
  uint32_t explored;  ///< 1: an exploring (random) pick
} elex_decision;

/// One decision asked of a feature's agent (elex_agent_decide): who, for
/// which query, in which state (learn.h State). 40 bytes on wasm32.
/// @ts-struct DECIDE_ARGS
typedef struct elex_decide_args {
  double query_id;      ///< 1..2^53, a whole number
  double follows;       ///< the query id this one follows up (0: none)
  const char* code;     ///< the feature code, UTF-8 (1..255 bytes)
  uint32_t len;         ///< its bytes
  uint32_t type;        ///< learn.h QueryType
  uint32_t complexity;  ///< learn.h Complexity
  uint32_t bucket;      ///< confidence bucket, 0..15
  uint32_t context;     ///< the caller's context hash (0: none)
} elex_decide_args;

/// Decides for feature `args->code` (creating a cold agent if none is resident).
int elex_agent_decide(elex_engine* engine, const elex_decide_args* args, elex_decision* out);

/// What elex_agent_feedback did with the rewards.
/// @ts-struct FEEDBACK_RESULT
typedef struct elex_feedback_result {
  uint32_t applied;  ///< rewards applied to a known decision
  uint32_t unknown;  ///< rewards for query ids the agent does not know
} elex_feedback_result;

/// Rewards in [-1, 1] for earlier decisions of that agent (out may be null).
int elex_agent_feedback(elex_engine* engine, const char* code, uint32_t len,
                        const double* query_ids, const float* rewards, uint32_t n,
                        elex_feedback_result* out);

/// One state of an agent (elex_agent_values).
/// @ts-struct AGENT_Q
typedef struct elex_agent_q {
  float values[5];  ///< Q-value per action (learn.h Action order)
  uint32_t visits;  ///< updates of this state
} elex_agent_q;

/// Q-values and visits of one state of a resident agent.
int elex_agent_values(const elex_engine* engine, const char* code, uint32_t len, uint32_t type,
                      uint32_t complexity, uint32_t bucket, uint32_t context, elex_agent_q* out);
/// One resident agent's figures (elex_agent_info).
/// @ts-struct AGENT_STATS
typedef struct elex_agent_stats {
  double states;
  double bytes;
  double decisions;
  double updates;
  double reward_sum;
  double epsilon;
  double version;  ///< bumped by every change of the agent
} elex_agent_stats;

int elex_agent_info(const elex_engine* engine, const char* code, uint32_t len,
                    elex_agent_stats* out);
/// The record of a resident agent (learn.cpp); *out freed with elex_free.
int elex_agent_export(const elex_engine* engine, const char* code, uint32_t len, uint8_t** out,
                      size_t* out_size);
/// Every resident agent as {u32 length, record}*, least recently used first.
int elex_agents_export_all(elex_engine* engine, uint8_t** out, size_t* out_size, uint32_t* count);
/// Restores n records ({u32 length, record} frames) at once, never
/// evicting: status[i] is 0 when record i's agent is resident afterwards,
/// else its status (12 BUDGET_EXCEEDED: it did not fit; the store is
/// unchanged for it). Records are deserialised on the engine's threads.
int elex_agents_import_batch(elex_engine* engine, const uint8_t* frames, size_t size, uint32_t n,
                             int32_t* status);
/// As elex_agents_import_batch for records already in memory: record i is
/// the spans[2i+1] bytes at base + spans[2i] (every span inside
/// [base, base + base_size), else INVALID_ARGUMENT and nothing imported).
/// A snapshot read straight into wasm memory is restored without a copy.
int elex_agents_import_at(elex_engine* engine, const uint8_t* base, size_t base_size,
                          const uint32_t* spans, uint32_t n, int32_t* status);
/// Restores an agent from a record; *replaced = 1 if it replaced an older
/// resident one. evict = 0: fail with BUDGET_EXCEEDED rather than evict.
int elex_agent_import(elex_engine* engine, const uint8_t* bytes, size_t size, uint32_t evict,
                      uint32_t* replaced);
/// What goes into an agent snapshot (elex_agents_snapshot). 32 bytes on wasm32.
/// @ts-struct SNAPSHOT_ARGS
typedef struct elex_snapshot_args {
  double meta_size;      ///< bytes of meta (a whole number)
  double extra_size;     ///< bytes of extra (a whole number)
  const uint8_t* meta;   ///< the host's JSON (fingerprint, shard...); null if meta_size is 0
  const uint8_t* extra;  ///< more {u32 length, record}* frames; null when extra_size is 0
  uint32_t shard;        ///< the logical shard whose resident agents are written
  uint32_t shards;       ///< logical shards (0: every agent)
} elex_snapshot_args;

/// A snapshot container (format.h kind 4): section META holds args->meta,
/// section RECS every resident agent of logical shard args->shard
/// (elex_shard_of(code, shards) == shard; shards = 0: every agent) as
/// {u32 length, record}*, followed by args->extra (more records in the same
/// framing, from the host's cold store). *out freed with elex_free;
/// *count: the records in RECS.
int elex_agents_snapshot(elex_engine* engine, const elex_snapshot_args* args, uint8_t** out,
                         size_t* out_size, uint32_t* count);
/// The logical shard of a feature code: fmix32(FNV-1a-32(code)) % shards
/// (ts/core/learn-types.ts computes the same in TypeScript).
uint32_t elex_shard_of(const char* code, uint32_t len, uint32_t shards);
/// Where a verified snapshot's parts are (byte offsets into it).
/// @ts-struct SNAPSHOT_PARTS
typedef struct elex_snapshot_parts {
  double meta_offset;
  double meta_size;
  double records_offset;
  double records_size;
  double records;  ///< record count
} elex_snapshot_parts;

/// Verifies a snapshot (container checksum, framing, every record's header)
/// and locates its parts. FOREIGN_DATA / UNSUPPORTED_VERSION /
/// CORRUPT_DATA as format.h says. With an engine, the checksum is computed
/// on its threads (engine may be null).
int elex_snapshot_verify(elex_engine* engine, const uint8_t* bytes, size_t size,
                         elex_snapshot_parts* out);
/// Removes a resident agent without spilling it; NOT_FOUND if none.
int elex_agent_drop(elex_engine* engine, const char* code, uint32_t len);
/// The oldest evicted record, for the host to store (*out freed with
/// elex_free); *out_size = 0 when none is queued.
int elex_agents_spill_pop(elex_engine* engine, uint8_t** out, size_t* out_size);
/// Runs one eviction round as at `pressure`; *freed gets the bytes freed.
int elex_agents_evict(elex_engine* engine, double pressure, double* freed);

// --------------------------------------------------------- kernel benches
// Bench builds only (CMake ELEX_WASM_BENCH, build/wasm-bench/<variant>/; the
// shipped wasm has none of the elex_bench_* functions). Run one kernel on
// seeded data inside wasm so that a JS timer measures the kernel, not the call.
//   kernel: 0 dot, 1 cosine, 2 l2 (n = dim, one pair per rep), 3 int8 dot,
//           4 Q-update (n entries), 5 validation (n values),
//           6 aggregation (n rows x 16 columns, stride 20)
//   twin:   0 the build's kernel, 1 the scalar twin

/// Generates seeded inputs for `kernel` of size n (replaces earlier ones).
int elex_bench_prepare(int kernel, uint32_t n, uint32_t seed);
/// Runs the prepared kernel `reps` times; *checksum gets a value that
/// depends on every result (so nothing is optimised away).
int elex_bench_run(int kernel, int twin, uint32_t reps, double* checksum);
/// A kernel measured as a kernel (bench_fixtures.h KernelBatch): one pass
/// runs kernel 0..8 over `count` seeded items (vectors of `dim` for 0..3
/// and 7..8; 0 dot and 2 l2 score four vectors per call, 7 dot and 8 l2 one),
/// timed inside the engine: one warm pass, then `reps` samples of as many
/// passes as take 2 ms or more (a browser clock ticks in 5 µs steps).
/// out[0] = median ns per pass over the samples, out[1] = fastest sample's
/// ns per pass, out[2] = checksum.
int elex_bench_batch(int kernel, int twin, uint32_t dim, uint32_t count, uint32_t reps,
                     double* out);

// ---------------------------------------------------------------- embedder
// Text → vectors (embed.h). Texts are passed as one UTF-8 blob with n + 1
// byte offsets (text i is blob[offsets[i] .. offsets[i+1])).

typedef struct elex_embedder elex_embedder;

int elex_embedder_create(uint32_t dim, elex_embedder** out);
void elex_embedder_destroy(elex_embedder* e);
/// Learns IDF from n documents.
int elex_embedder_fit(elex_embedder* e, const char* blob, const uint32_t* offsets, uint32_t n);
/// out[i * dim ..] = the embedding of text i (each at most 8192 bytes).
int elex_embed(const elex_embedder* e, const char* blob, const uint32_t* offsets, uint32_t n,
               float* out);
/// What elex_embedder_stats reports.
/// @ts-struct EMBEDDER_STATS
typedef struct elex_embedder_stats_t {
  double dim;
  double documents;  ///< documents fitted
  double vocabulary;
  double bytes;
} elex_embedder_stats_t;

int elex_embedder_stats(const elex_embedder* e, elex_embedder_stats_t* out);
/// The tokens of a text joined by spaces (*out freed with elex_free).
int elex_tokenize(const char* text, size_t len, char** out, size_t* out_size);
/// The tokens of n texts (blob[offsets[i] .. offsets[i+1])): each text's
/// joined by spaces, texts separated by a newline (*out freed with elex_free).
int elex_tokenize_many(const char* blob, const uint32_t* offsets, uint32_t n, char** out,
                       size_t* out_size);

// ------------------------------------------------------- lexical routing
// BM25F over one document per feature, with a glossary (lexical.h).

typedef struct elex_lexical elex_lexical;

/// The layout of one search hit (elex_lexical_search writes k of them).
/// @ts-struct LEXICAL_HIT
typedef struct elex_lexical_hit {
  uint32_t doc;  ///< feature number, as given to elex_lexical_add
  float score;   ///< BM25F score, > 0
} elex_lexical_hit;

int elex_lexical_create(elex_lexical** out);
void elex_lexical_destroy(elex_lexical* x);
/// Adds n texts: text i (blob[offsets[i] .. offsets[i+1])) goes to field
/// fields[i] (lexical::Field) of document docs[i].
int elex_lexical_add(elex_lexical* x, const char* blob, const uint32_t* offsets,
                     const uint32_t* docs, const uint32_t* fields, uint32_t n);
/// Adds n glossary entries: texts 2i (the term) and 2i + 1 (its expansion).
int elex_lexical_glossary(elex_lexical* x, const char* blob, const uint32_t* offsets, uint32_t n);
/// What a built lexical index holds (elex_lexical_finish).
/// @ts-struct LEXICAL_STATS
typedef struct elex_lexical_stats {
  double documents;
  double terms;
  double glossary;  ///< glossary entries
  double bytes;
} elex_lexical_stats;

/// Builds the index.
int elex_lexical_finish(elex_lexical* x, elex_lexical_stats* out);
/// The best k documents for a text: hits[0 .. *found) best first.
int elex_lexical_search(const elex_lexical* x, const char* text, size_t len, uint32_t k,
                        elex_lexical_hit* hits, uint32_t* found);

// ----------------------------------------------------------------- router
// Routes questions to catalog features from fused evidence (router.h).

typedef struct elex_router elex_router;

/// What elex_router_create reads. Texts are UTF-8 in `blob`, text i at
/// blob[offsets[i] .. offsets[i + 1]): 5 per feature (code, name, acronym,
/// category, description), then 2 per item (name, description), then 2 per
/// glossary entry (term, meaning). Items are parameters, counters and KPIs;
/// item numbers in results count the features first (item F + i is item i).
/// Layout (wasm32): 12 words of 4 bytes, then 7 doubles: 104 bytes.
/// @ts-struct ROUTER_SPEC
typedef struct elex_router_spec {
  uint32_t dim;       ///< embedding dimension, 8..4096
  uint32_t features;  ///< F, at least 1
  uint32_t items;     ///< I
  uint32_t glossary;  ///< G entries
  const char* blob;
  const uint32_t* offsets;               ///< 5F + 2I + 2G + 1
  const uint8_t* hosted;                 ///< F: 1 = routed to by this router
  const uint8_t* item_kinds;             ///< I: 1 parameter, 2 counter, 3 KPI
  const uint32_t* item_feature_offsets;  ///< I + 1, into item_features
  const uint32_t* item_features;         ///< each item's linked features
  const uint32_t* feature_item_offsets;  ///< F + 1, into feature_items
  const uint32_t* feature_items;         ///< each feature's own items (0..I-1)
  double weights[7];  ///< vector, exact, lexical, feedback, item, technology, direction
} elex_router_spec;

/// One routed feature (80 bytes): its evidence, where its matched items
/// are in the matches array, and which of them its card shows (answer.h).
/// @ts-struct ROUTE_FEATURE
typedef struct elex_route_feature {
  uint32_t feature;        ///< feature number
  uint32_t matched_begin;  ///< first of its matches
  uint32_t matched_count;  ///< at most 8
  uint32_t card;           ///< its card's matches: 4 bits each, 1 + index, 0 ends
  double score;            ///< fused, in [0, 1]
  double vector;           ///< evidence: vector similarity
  double exact;            ///< exact identifier
  double lexical;          ///< BM25F
  double feedback;         ///< remembered ratings
  double item;             ///< matched parameters, counters and KPIs
  double technology;       ///< −1: the question names the other radio technology, else 0
  double direction;        ///< the question's link direction × the feature's, in [−1, 1]
} elex_route_feature;

/// One matched item of a routed feature (16 bytes).
/// @ts-struct ROUTE_MATCH
typedef struct elex_route_match {
  uint32_t item;   ///< item number (features first)
  uint32_t exact;  ///< 1: the question names it
  double score;
} elex_route_match;

/// Builds a router (can take a few hundred ms for a big catalog). With an
/// `engine` (optional) of two threads or more, the build's phases run on two
/// of its threads; the router is the same either way.
int elex_router_create(elex_engine* engine, const elex_router_spec* spec, elex_router** out);
void elex_router_destroy(elex_router* r);
/// The router's built state (not its route memory) as a container of kind
/// RouterState (format.h kind 5); *out freed with elex_free.
int elex_router_save(const elex_router* r, uint8_t** out, size_t* size);
/// A router from elex_router_save's bytes instead of a build: it routes as
/// the saved one did. FOREIGN_DATA, UNSUPPORTED_VERSION (another engine's
/// state: build instead) or CORRUPT_DATA for bytes it cannot use;
/// INVALID_ARGUMENT when its embedding dimension is not `dim`.
int elex_router_load(const uint8_t* bytes, size_t size, uint32_t dim, elex_router** out);
/// The best k (1..1024) hosted features for a question: features[0 ..
/// counts[0]) and their matches[0 .. counts[1]) (room for k and 8k), and
/// the question classified over them (classify.h): counts[2] its type,
/// counts[3] its complexity (learn.h QueryType, Complexity); vector (dim
/// floats, may be null) gets the question's embedding.
int elex_router_route(elex_router* r, const char* text, size_t len, uint32_t k,
                      elex_route_feature* features, elex_route_match* matches, uint32_t* counts,
                      float* vector);
/// out[0 .. dim) = a question's embedding (as elex_router_route gives it).
int elex_router_embed(const elex_router* r, const char* text, size_t len, float* out);
/// Remembers n rated questions: ids (unique), the feature each was rated
/// on (hosted), reward in [-1, 1] and not 0, and the texts (blob/offsets).
int elex_router_remember(elex_router* r, const uint32_t* ids, const uint32_t* features,
                         const float* rewards, const char* blob, const uint32_t* offsets,
                         uint32_t n);
/// Forgets remembered questions by id (unknown ids are skipped).
int elex_router_forget(elex_router* r, const uint32_t* ids, uint32_t n);
/// Makes the route memory give way to the memory budget: forgets the oldest
/// remembered questions until it holds at least free_bytes fewer bytes (all
/// of them if it holds no more), counting host_bytes per question that the
/// caller keeps beside the router, and frees them at once
/// (Router::trim_memory). forgotten[0 .. *n) gets their ids, oldest first;
/// cap (at least the remembered count) is its room.
int elex_router_trim(elex_router* r, double free_bytes, double host_bytes, uint32_t* forgotten,
                     uint32_t cap, uint32_t* n);
/// What elex_router_stats reports.
/// @ts-struct ROUTER_STATS
typedef struct elex_router_stats_t {
  double features;
  double hosted;      ///< features routed to by this router
  double remembered;  ///< rated questions remembered
  double bytes;
  double lexical_ms;  ///< build phases, in ms
  double exact_ms;
  double vectors_ms;
  double items_ms;
} elex_router_stats_t;

int elex_router_stats(const elex_router* r, elex_router_stats_t* out);

/// The catalog as a router holds it, so that a router loaded from a saved
/// state names its results before the catalog is parsed: views into the
/// router's own tables (read-only, valid until elex_router_destroy). Item
/// i (features first, then parameters, counters, KPIs) is named
/// names[name_offsets[i] .. name_offsets[i + 1]) (a feature: its code),
/// of kind kinds[i] (router.h ItemKind); feature f's name (UTF-8, may be
/// empty) is feature_names[feature_name_offsets[f] .. [f + 1]); hosted[0
/// .. hosted_count) are the hosted features' numbers, ascending. The
/// counts of each kind are counted from kinds (a check of a loaded state
/// against the catalog it should be of).
/// @ts-struct ROUTER_ITEMS
typedef struct elex_router_items_t {
  uint32_t features;             ///< F
  uint32_t items;                ///< N, features included
  uint32_t hosted_count;         ///< H
  uint32_t feature_kinds;        ///< items of kind feature (F in a router that holds together)
  uint32_t parameters;           ///< items of kind parameter
  uint32_t counters;             ///< items of kind counter
  uint32_t kpis;                 ///< items of kind KPI
  uint32_t reserved;             ///< 0
  const char* names;             ///< the items' names, UTF-8
  const uint32_t* name_offsets;  ///< N + 1
  const uint8_t* kinds;          ///< N
  const uint32_t* hosted;        ///< H
  const char* feature_names;     ///< the features' names, UTF-8
  const uint32_t* feature_name_offsets;  ///< F + 1
} elex_router_items_t;

int elex_router_items(const elex_router* r, elex_router_items_t* out);

/// One matched item of a candidate, for elex_classify (16 bytes).
/// @ts-struct CLASS_MATCH
typedef struct elex_class_match {
  uint32_t candidate;  ///< index of its candidate
  uint16_t kind;       ///< router.h ItemKind
  uint16_t exact;      ///< 1: the question names it
  double score;
} elex_class_match;

/// A question's type and complexity (classify.h) over candidates (best
/// first: scores[0 .. n)) and their matches[0 .. m) (any order): out[0]
/// its type, out[1] its complexity (learn.h QueryType, Complexity). What
/// a pool classifies a question by once its workers' features are merged.
int elex_classify(const char* text, size_t len, const double* scores, uint32_t n,
                  const elex_class_match* matches, uint32_t m, uint32_t* out);

// ---------------------------------------------------- validation, monitor
/// Parameter changes through the validation kernel (validate.h). soa holds
/// 7 arrays of n floats: current, proposed, abs_min, abs_max, safe_min,
/// safe_max, max_step_rel. masks[n]; counts[0] = flagged, counts[1..6] per
/// finding.
int elex_validate(const float* soa, uint32_t n, uint32_t* masks, uint32_t* counts);
/// Whole validation (validator.h): type checks, bounds compared as doubles,
/// cooldowns and verdicts. kinds[count] (validator.h Kind), bounds
/// [5 × count] doubles (validate.h BoundsColumn: abs_min, abs_max, safe_min,
/// safe_max, max_change), cooldown_ms[count] (NaN: none) are copied.
typedef struct elex_validator elex_validator;
int elex_validator_create(uint32_t count, const uint8_t* kinds, const double* bounds,
                          const double* cooldown_ms, elex_validator** out);
void elex_validator_destroy(elex_validator* v);
/// What elex_validator_run reports.
/// @ts-struct VALIDATOR_TOTALS
typedef struct elex_validator_totals {
  double ok;
  double warn;
  double reject;
  double latest;  ///< the latest time recorded (-Inf if none)
  double bytes;   ///< bytes the validator holds
} elex_validator_totals;

/// n parameter changes as columns (elex_validator_run). 48 bytes on wasm32.
/// @ts-struct VALIDATOR_RUN_ARGS
typedef struct elex_validator_run_args {
  double at_all;           ///< the time of every change when `at` is null (ms)
  const int32_t* params;   ///< n parameter indexes
  const double* current;   ///< n current values
  const double* proposed;  ///< n proposed values
  const double* at;        ///< n times in ms, or null (at_all)
  const int32_t* cells;    ///< n cell ids, or null (cell 0)
  uint16_t* reasons;       ///< n reason masks: written (read first with kCallerChecked)
  uint8_t* verdicts;       ///< n verdicts (validator.h Verdict): written
  uint32_t n;
  uint32_t flags;     ///< validator.h RunFlags
  uint32_t reserved;  ///< 0
} elex_validator_run_args;

/// Validates the changes `args` holds: reasons and verdicts are written,
/// and the totals (out may be null). A bad time or cell id is
/// INVALID_ARGUMENT naming the change, and records nothing.
int elex_validator_run(elex_validator* v, const elex_validator_run_args* args,
                       elex_validator_totals* out);
/// Every (parameter, cell) counts as last changed at `at` unless a later
/// change is recorded (after the recorded times were lost).
int elex_validator_floor(elex_validator* v, double at);
/// What elex_validator_stats reports.
/// @ts-struct VALIDATOR_STATS
typedef struct elex_validator_stats_t {
  double parameters;
  double recorded;  ///< recorded (parameter, cell) pairs
  double bytes;
  double floor;  ///< elex_validator_floor's time (-Inf if none)
} elex_validator_stats_t;

int elex_validator_stats(const elex_validator* v, elex_validator_stats_t* out);
/// One KPI evaluation (elex_kpi_eval): the compiled programs, the counters
/// and where the results go. Every output is cell-major. May be null:
/// thresholds / directions (no breaches), breaches, nulls, counter_stats /
/// kpi_stats, and values with reasons together (then no per-period output
/// is written). 88 bytes on wasm32.
/// @ts-struct KPI_EVAL_ARGS
typedef struct elex_kpi_eval_args {
  const int32_t* ops;        ///< the KPI programs' ops (monitor.h)
  const uint32_t* offsets;   ///< kpis + 1, into ops
  const float* consts;       ///< n_consts constants the programs load
  const float* thresholds;   ///< per KPI (NaN: none)
  const int8_t* directions;  ///< per KPI: 1 high is bad, -1 low is bad, 0 none
  const float* data;         ///< cells × counters × periods
  float* values;             ///< cells × kpis × periods
  uint8_t* reasons;          ///< cells × kpis × periods (why a value is null)
  double* history;           ///< cells × kpis × 3, updated in place
  uint32_t* anomalies;       ///< cells × kpis
  float* max_z;              ///< cells × kpis
  uint32_t* breaches;        ///< cells × kpis
  uint32_t* nulls;           ///< cells × kpis × 2
  float* counter_stats;      ///< cells × counters × 5 (elex_row_stats of the counters)
  float* kpi_stats;          ///< cells × kpis × 5 (the same of the KPI values)
  uint32_t kpis;
  uint32_t n_consts;
  uint32_t cells;
  uint32_t counters;
  uint32_t periods;
  float z_threshold;     ///< |z| from which a value is an anomaly
  uint32_t min_history;  ///< periods of history before z is scored
} elex_kpi_eval_args;

/// KPI programs over cells × counters × periods (monitor.h), cells spread
/// over the engine's threads (engine may be null: one thread).
int elex_kpi_eval(elex_engine* engine, const elex_kpi_eval_args* args);
/// Per row over periods, NaN skipped: count, sum, mean, min, max (rows × 5).
int elex_row_stats(elex_engine* engine, const float* data, uint32_t rows, uint32_t periods,
                   float* out);

// ------------------------------------------------------- learning benches
// Bench builds only, like the kernel benches (engine/src/api/bench_learn.cpp
// documents ops).
int elex_bench_learn_prepare(int op, uint32_t n);
int elex_bench_learn_run(int op, uint32_t reps, double* out);
int elex_bench_populate(elex_engine* engine, uint32_t agents, uint32_t states, uint32_t worker,
                        uint32_t workers);
int elex_bench_heap(double* out);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // ELEX_ELEX_H
