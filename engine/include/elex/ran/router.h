// elex/ran/router.h — routes a RAN engineer's question to the catalog features
// that answer it, from five kinds of evidence fused into one score.
//
// The catalog comes in as features (code, name, acronym, category,
// description), items (parameters, counters and KPIs with their names,
// descriptions and linked features) and glossary entries. Item numbers:
// features are items 0..F-1, the other items follow in the order given.
// A router hosts some of the features (a worker's share of the pool): it
// returns only those, but its lexical index and embedder see the whole
// catalog, so scores agree across workers.
//
// Evidence for a feature f and a question q:
//   vector    cosine of q's embedding and f's profile (code, name, acronym,
//             category, description), over the kVectorK best profiles;
//   exact     the strongest item of f that q names: a code (with or without
//             spaces, 1), an acronym as written (case, digits and hyphens
//             kept, 1), a parameter or counter name or its part after the
//             last '.' (0.8), a feature name or KPI name of 6+ characters as
//             whole words (1 and 0.8); a name inside a longer match does not
//             count; each scaled by 1 / (1 + ln n) for an item n features share;
//   lexical   BM25F of f's document (lexical.h) over the best score of q;
//   feedback  Σ reward × (sim − kMemoryMinSim) / (1 − kMemoryMinSim) over
//             the kMemoryK remembered rated questions most similar to q
//             that were rated on f, clamped to [−1, 1];
//   item      the share of q's distinct words that f's best single item
//             holds (name words count 1, description-only words ½);
//   technology −1 when q names a radio technology (LTE: "LTE", "eNodeB",
//             "eNB", "E-UTRAN", "4G"; NR: "NR", "gNodeB", "gNB", "en-gNB",
//             "5G") and f's parameters and counters belong to the other
//             one only (managed objects EUtranCell*, ENodeBFunction,
//             EUtranFreq* are LTE; NRCell*, GNB*, NRSectorCarrier, NRFreq*
//             are NR), else 0 (a feature of both, or of neither, is never
//             penalised).
//   direction  d(q) · d(f) in [−1, 1]: d(q) is +1 when q says uplink ("UL",
//             "uplink") and not downlink ("DL", "downlink"), −1 the other
//             way round, else 0; d(f) is ±1 when f's name says only one of
//             them, else (u − d) / (u + d + 2) over f's parameters and
//             counters whose attribute (the part after the last '.') holds
//             the word UL or uplink (u) and DL or downlink (d).
// score = (wv·vector + we·exact + wl·lexical) / (wv + we + wl) + wf·feedback
//         + wt·technology + wd·direction, then + wi·item for the best
//         max(k, kRerank), then
// squash() into [0, 1].
// Ties break by code.
#ifndef ELEX_ROUTER_H
#define ELEX_ROUTER_H

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "elex/core/status.h"
#include "elex/ran/embed.h"
#include "elex/ran/flat.h"
#include "elex/ran/lexical.h"

namespace elex {
class ThreadPool;
}
namespace elex::hnsw {
class Index;
}

namespace elex::router {

/// Kinds of catalog items (elex_router_spec item_kinds).
/// @ts ROUTER_ITEM_KIND
enum ItemKind : std::uint8_t {
  kFeature = 0,    ///< `feature`
  kParameter = 1,  ///< `parameter`
  kCounter = 2,    ///< `counter`
  kKpi = 3,        ///< `kpi`
};

/// The fusion weights (RouteWeights in the TypeScript API).
struct Weights {
  double vector = 0.5;
  double exact = 0.5;
  double lexical = 1.0;
  double feedback = 1.0;
  double item = 0.15;
  double technology = 0.2;
  double direction = 0.1;
};

/// Radio technologies (bit mask) of a question or a feature.
enum Technology : std::uint8_t { kLte = 1, kNr = 2 };
/// The technologies `text` names (0: none).
std::uint8_t question_technology(std::string_view text);
/// The technology of a parameter or counter from its managed object class
/// (the part before the first '.'), 0 when it tells none.
std::uint8_t item_technology(std::string_view name);
/// The link direction `text` names: +1 uplink ("UL", "uplink"), −1 downlink
/// ("DL", "downlink"), 0 both or neither (words as question_technology reads them).
int question_direction(std::string_view text);
/// question_technology() and question_direction() of `text` in one reading
/// of its words (what route() needs of every question).
struct QuestionTraits {
  std::uint8_t technology = 0;
  int direction = 0;
};
QuestionTraits question_traits(std::string_view text);
/// The link direction a parameter or counter name's attribute (the part
/// after the last '.') names, as question_direction() of its camelCase words.
int item_direction(std::string_view name);

inline constexpr std::uint32_t kVectorK = 32;
inline constexpr std::uint32_t kLexicalK = 30;
inline constexpr std::uint32_t kRerank = 8;
inline constexpr std::uint32_t kMatchedMax = 8;
inline constexpr double kItemMin = 0.3;
/// The item signal of a feature's own name: this × its words shared with
/// the question over √(question words × name words).
inline constexpr double kNameShare = 1.0;
inline constexpr std::uint32_t kMemoryK = 16;
inline constexpr double kMemoryMinSim = 0.25;
/// Room trim_memory() leaves in the rebuilt memory index: 1 / this of the
/// kept questions.
inline constexpr std::size_t kTrimRoom = 8;
/// The version of the state Router::save writes: bumped whenever build(),
/// the tokeniser or the lexical index change what a build makes, so a cached
/// state of an older engine is rebuilt, never used.
inline constexpr std::uint32_t kStateVersion = 16;
/// Most features a question may ask for.
inline constexpr std::uint32_t kMaxK = 1024;

/// A raw score into [0, 1] keeping its order: itself up to 0.9, then an
/// exponential approach to 1; 0 below 0.
double squash(double x);

/// What build() reads; the views must outlive the call only.
struct Spec {
  std::uint32_t dim = 512;
  Weights weights;
  /// Per feature: code, name, acronym, category, description (5 per feature).
  std::vector<std::string_view> feature_texts;
  std::vector<std::uint8_t> hosted;  ///< per feature, 1 = this router returns it
  /// Per item (features not included): kind, name, description.
  std::vector<std::uint8_t> item_kinds;
  std::vector<std::string_view> item_names, item_descriptions;
  /// Item i's linked features: item_features[item_feature_offsets[i] ..
  /// item_feature_offsets[i + 1]) (feature numbers).
  std::vector<std::uint32_t> item_feature_offsets, item_features;
  /// Feature f's own lists (its parameters, counters, KPIs in that order),
  /// as item numbers among the items (0 = the first item after the features).
  std::vector<std::uint32_t> feature_item_offsets, feature_items;
  /// Glossary: term, meaning, term, meaning, ...
  std::vector<std::string_view> glossary;
};

/// Milliseconds spent in each build phase.
struct BuildPhases {
  double lexical = 0, exact = 0, vectors = 0, items = 0;
};

struct Match {
  std::uint32_t item;  ///< item number (features first)
  bool exact;
  double score;
};

struct Routed {
  std::uint32_t feature;
  double score;
  double vector, exact, lexical, feedback, item;
  double technology;  ///< −1: the question's technology is not the feature's; else 0
  double direction;   ///< the question's link direction times the feature's, in [−1, 1]
  std::vector<Match> matched;
};

class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  /// Builds every index from `spec` (once). With a `pool` of two threads or
  /// more, its phases run on two of them (the router is the same).
  [[nodiscard]] Status build(const Spec& spec, ThreadPool* pool = nullptr);
  /// The built state (everything build() made; not the route memory) as an
  /// ELEX container of kind RouterState, in a new malloc'ed buffer (*out,
  /// *size; freed with std::free). load() of it gives a router that routes
  /// exactly as this one did before any remember().
  [[nodiscard]] Status save(std::uint8_t** out, std::size_t* size) const;
  /// Replaces build(): the state save() wrote, with the same kStateVersion.
  /// FOREIGN_DATA / UNSUPPORTED_VERSION / CORRUPT_DATA as format.h says,
  /// CORRUPT_DATA for a payload that does not hold together, and
  /// UNSUPPORTED_VERSION for another state version.
  [[nodiscard]] Status load(const std::uint8_t* bytes, std::size_t size);
  /// The best `k` hosted features for `text`, best first; `vector` (dim
  /// floats, optional) gets the question's embedding.
  [[nodiscard]] Status route(const char* text, std::size_t len, std::uint32_t k,
                             std::vector<Routed>* out, float* vector);
  /// out[0..dim) = the question's embedding (as route() computes it).
  [[nodiscard]] Status embed(const char* text, std::size_t len, float* out) const;
  /// Remembers rated questions: ids (the caller's, unique), the feature each
  /// was rated on, reward in [−1, 1] (0 is refused), the question texts.
  [[nodiscard]] Status remember(const std::uint32_t* ids, const std::uint32_t* features,
                                const float* rewards, const std::string_view* texts, std::size_t n);
  /// Forgets remembered questions (unknown ids are skipped).
  [[nodiscard]] Status forget(const std::uint32_t* ids, std::size_t n);
  /// Makes the route memory give way to a memory budget: forgets the oldest
  /// remembered questions (in the order remember() took them) until
  /// memory_bytes() + memories() × host_bytes ≤ max_bytes, and rebuilds the
  /// memory's index of the kept ones with room for an eighth more
  /// (kTrimRoom; room counted with its records and host bytes), so that its
  /// bytes fall at once and the next remembers fit without another trim.
  /// host_bytes: what the caller keeps per remembered question besides the
  /// router. The forgotten ids are appended to *forgotten (optional), oldest
  /// first.
  [[nodiscard]] Status trim_memory(std::size_t max_bytes, std::vector<std::uint32_t>* forgotten,
                                   std::size_t host_bytes = 0);

  [[nodiscard]] std::uint32_t features() const { return features_; }
  [[nodiscard]] std::uint32_t hosted() const { return std::uint32_t(hosted_ids_.size()); }
  [[nodiscard]] std::size_t memories() const { return memory_.size(); }
  [[nodiscard]] std::size_t bytes() const;
  /// The route memory's share of bytes(): its index and per-question records.
  [[nodiscard]] std::size_t memory_bytes() const;
  [[nodiscard]] const BuildPhases& phases() const { return phases_; }
  [[nodiscard]] std::uint32_t dim() const { return embedder_ ? embedder_->dim() : 0; }
  /// The kind of item `item` (features first; below features() + items).
  [[nodiscard]] ItemKind item_kind(std::uint32_t item) const { return ItemKind(item_kinds_[item]); }
  /// The name of item `item` (a feature: its code).
  [[nodiscard]] std::string_view item_name(std::uint32_t item) const { return item_names_[item]; }
  /// Every item's name (features first: their codes), items() of them.
  [[nodiscard]] const flat::Strings& item_names() const { return item_names_; }
  [[nodiscard]] std::uint32_t items() const { return std::uint32_t(item_names_.size()); }
  /// Every item's kind (ItemKind), items() of them.
  [[nodiscard]] const std::uint8_t* item_kinds() const { return item_kinds_.data(); }
  /// The hosted features' numbers, hosted() of them, in order.
  [[nodiscard]] const std::uint32_t* hosted_features() const { return hosted_ids_.data(); }
  /// Every feature's name as the spec gave it ("" when it has none): a
  /// loaded router names its results without the catalog.
  [[nodiscard]] const flat::Strings& feature_names() const { return feature_names_; }
  /// Feature f's own items (its parameters, counters and KPIs in that
  /// order, as item numbers, features first): *n of them.
  [[nodiscard]] const std::uint32_t* own_items(std::uint32_t f, std::uint32_t* n) const {
    *n = own_off_[f + 1] - own_off_[f];
    return own_.data() + own_off_[f];
  }
  /// The lexical index (its query_terms() show how a question is expanded).
  [[nodiscard]] const lexical::Index& lexical() const { return lexical_; }

 private:
  /// Strings → lists of numbers (in the order added).
  struct KeyLists {
    flat::StringIds keys;
    flat::Lists lists;
    /// The list of `key` (`*n` numbers; none: null).
    const std::uint32_t* find(std::string_view key, std::uint32_t* n) const {
      const std::uint32_t id = keys.find(key);
      *n = id == flat::StringIds::kNone ? 0 : std::uint32_t(lists.count(id));
      return *n ? lists.begin(id) : nullptr;
    }
  };
  /// Text a hit spans, and its items: items[0 .. count), or `one` when null.
  struct Span {
    const std::uint32_t* items;
    std::uint32_t count;
    std::uint32_t one;
    std::uint32_t order;  // phrase number (phrase hits sort by it)
    double strength;
    std::size_t start, end;
  };
  void exact_hits(const char* text, std::size_t len);
  void vector_hits(const float* q);
  void feedback_hits(const float* q);
  /// An item's words' term weights (description-only words ½), summed
  /// exactly (in a double), so in any order.
  double item_sum(std::uint32_t item,
                  const std::vector<std::pair<std::string, float>>& terms) const;
  void rank_item_words(std::vector<Routed>* wide, std::uint32_t k,
                       const std::vector<std::string>& tokens);
  double fuse(double v, double e, double l, double f) const;
  void technologies();                    // tech_ and dir_ from the hosted features
  void id_keys();                         // ids_ from the item names (build() and load())
  void scratch();                         // per-call buffers, sized after build() or load()
  void profile_columns();                 // profile_off_ / rows / vals from profiles_ (build())
  [[nodiscard]] bool consistent() const;  // load(): every index within its tables

  Weights w_;
  std::uint32_t features_ = 0;
  flat::Strings item_names_;               // per item (features: their code)
  flat::Strings feature_names_;            // per feature: its name (saved, not routed on)
  std::vector<std::uint8_t> item_kinds_;   // per item
  std::vector<std::uint32_t> item_share_;  // per item: features linked
  // Hosted features: number in the catalog ↔ number among the hosted.
  std::vector<std::uint32_t> hosted_ids_;
  std::vector<std::int32_t> hosted_of_;  // per feature, −1 if not hosted
  // Per item: its hosted features (hosted numbers), CSR.
  std::vector<std::uint32_t> item_hosted_off_, item_hosted_;

  std::unique_ptr<embed::Embedder> embedder_;
  std::vector<float> profiles_;  // dim × hosted (by dimension: profiles_[d * hosted + h])
  // The non-zero profile entries by dimension: dimension d's hosted numbers
  // are profile_rows_[profile_off_[d] .. profile_off_[d + 1]) and their
  // values profile_vals_[...] (made by build(); load() makes them from the
  // saved bitmap of the non-zero entries, which is in this order).
  std::vector<std::uint32_t> profile_off_, profile_rows_;
  std::vector<float> profile_vals_;
  lexical::Index lexical_;

  // Exact keys → items, in item order. ids_ (codes, identifiers) is made
  // from the item names by id_keys() (not saved); acronyms_ is saved.
  KeyLists ids_, acronyms_;
  flat::Strings phrases_;                   // lower-cased names
  std::vector<std::uint32_t> phrase_item_;  // per phrase: its item
  KeyLists phrase_heads_;                   // first run of [a-z0-9] → phrases
  std::vector<std::uint32_t> phrase_other_;

  // Item words: per item (of a hosted feature), the distinct words it
  // holds (ids in words_), with weight 1 (in the name) or ½ (only in the
  // description: kHalf set), CSR by item.
  static constexpr std::uint32_t kHalf = 0x80000000u;
  flat::StringIds words_;
  std::vector<std::uint32_t> item_word_off_, item_words_;
  std::vector<std::uint16_t> name_words_;  // per item: distinct words of its name
  // The same by word: word w's items (| kHalf) are word_items_[word_item_off_[w]
  // .. word_item_off_[w + 1]), in item order (made by scratch(), not saved).
  std::vector<std::uint32_t> word_item_off_, word_items_;
  // Each feature's own items (item numbers), CSR.
  std::vector<std::uint32_t> own_off_, own_;
  // Per hosted feature: its technologies (derived from item names by build(), saved).
  std::vector<std::uint8_t> tech_;
  // Per hosted feature: its link direction in [−1, 1] (made with tech_, saved).
  std::vector<float> dir_;

  // Route memory: rated questions' embeddings, and per id the hosted
  // feature and reward.
  hnsw::Index* memory_index_ = nullptr;
  struct Memo {
    std::uint32_t hosted;
    float reward;
  };
  std::unordered_map<std::uint32_t, Memo> memory_;
  // Ids in the order remembered (forgotten ones are skipped, and dropped
  // once they are half of it): what trim_memory() forgets first.
  std::deque<std::uint32_t> memory_order_;
  // Bytes a remembered question's records take besides its index node.
  static constexpr std::size_t kMemoRecordBytes = 36;

  BuildPhases phases_;

  // Per-call scratch (per hosted feature unless said).
  std::vector<double> vec_, ex_, lx_, fb_, item_;
  std::vector<std::uint32_t> stamp_, touched_;
  std::uint32_t gen_ = 0;
  struct Hit {
    std::uint32_t item;
    bool exact;
    double score;
  };
  std::vector<std::vector<Hit>> hits_;                   // per hosted feature
  std::vector<std::pair<std::uint32_t, double>> exact_;  // item, strength (first-seen order)
  std::vector<Span> spans_;
  std::vector<float> sims_, query_, dot_acc_;
  std::vector<lexical::Hit> lex_hits_;
  std::vector<std::string> tokens_;
  std::string low_;
  std::vector<std::uint32_t> order_, fb_touched_, qwords_;
  std::vector<double> scores_;
  std::vector<std::pair<std::string, float>> terms_;
  std::vector<double> item_hit_;         // per item: the question's word weight it holds
  std::vector<std::uint8_t> item_seen_;  // per item: item_hit_ is this question's
  std::vector<std::uint32_t> item_touched_;
  std::vector<std::uint32_t> term_of_;  // per word: 1 + the question term it is, or 0
  std::vector<Match> found_;
  std::vector<Routed> sorted_;
  void touch(std::uint32_t h);
};

}  // namespace elex::router

#endif  // ELEX_ROUTER_H
