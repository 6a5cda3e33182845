// The C ABI of the text embedder (see elex.h).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "elex/elex.h"
#include "elex/ran/answer.h"
#include "elex/ran/classify.h"
#include "elex/ran/embed.h"
#include "elex/ran/lexical.h"
#include "elex/ran/monitor.h"
#include "elex/ran/router.h"
#include "elex/ran/validate.h"
#include "elex/ran/validator.h"
#include "engine_impl.h"
#include "export.h"

struct elex_embedder {
  explicit elex_embedder(std::uint32_t dim) : e(dim) {}
  elex::embed::Embedder e;
};

struct elex_lexical {
  elex::lexical::Index index;
};

struct elex_router {
  elex::router::Router r;
  std::vector<elex::router::Routed> out;
};
// The layouts of elex_lexical_hit, elex_router_spec, elex_route_feature and
// elex_route_match are checked in abi_layout.h (scripts/gen-abi.mjs).

struct elex_validator {
  elex::validate::Validator v;
};

namespace {

using elex::Status;

/// Texts packed as one UTF-8 blob and n + 1 offsets.
Status check_blob(const char* blob, const uint32_t* offsets, uint32_t n) {
  if (n > 0 && (blob == nullptr || offsets == nullptr))
    return elex::fail(ELEX_E_INVALID_ARGUMENT, "null texts or offsets");
  for (uint32_t i = 0; i < n; ++i)
    if (offsets[i + 1] < offsets[i])
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "text offsets must not decrease (at %u)", i);
  return ELEX_OK;
}

}  // namespace

extern "C" {

ELEX_EXPORT int elex_embedder_create(uint32_t dim, elex_embedder** out) {
  return guarded([&] {
    if (out == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "null output");
    *out = nullptr;
    if (dim < 8 || dim > 4096)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "embedding dimension %u is outside 8..4096", dim);
    auto* e = new (std::nothrow) elex_embedder(dim);
    if (e == nullptr) return elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory for an embedder");
    *out = e;
    return ELEX_OK;
  });
}

ELEX_EXPORT void elex_embedder_destroy(elex_embedder* e) { delete e; }

ELEX_EXPORT int elex_embedder_fit(elex_embedder* e, const char* blob, const uint32_t* offsets,
                                  uint32_t n) {
  return guarded([&] {
    if (e == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "embedder is null");
    if (Status s = check_blob(blob, offsets, n); s != ELEX_OK) return s;
    std::vector<const char*> texts(n);
    std::vector<std::size_t> lens(n);
    for (uint32_t i = 0; i < n; ++i) {
      texts[i] = blob + offsets[i];
      lens[i] = offsets[i + 1] - offsets[i];
    }
    return e->e.fit(texts.data(), lens.data(), n);
  });
}

ELEX_EXPORT int elex_embed(const elex_embedder* e, const char* blob, const uint32_t* offsets,
                           uint32_t n, float* out) {
  return guarded([&] {
    if (e == nullptr || out == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null embedder or output");
    if (Status s = check_blob(blob, offsets, n); s != ELEX_OK) return s;
    for (uint32_t i = 0; i < n; ++i)
      if (Status s = e->e.embed(blob + offsets[i], offsets[i + 1] - offsets[i],
                                out + std::size_t(i) * e->e.dim());
          s != ELEX_OK)
        return s;
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_embedder_stats(const elex_embedder* e, elex_embedder_stats_t* out) {
  return guarded([&] {
    if (e == nullptr || out == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null embedder or output");
    *out = elex_embedder_stats_t{double(e->e.dim()), double(e->e.documents()),
                                 double(e->e.vocabulary()), double(e->e.bytes())};
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_lexical_create(elex_lexical** out) {
  return guarded([&] {
    if (out == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "null output");
    *out = new (std::nothrow) elex_lexical();
    if (*out == nullptr) return elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory for a lexical index");
    return ELEX_OK;
  });
}

ELEX_EXPORT void elex_lexical_destroy(elex_lexical* x) { delete x; }

ELEX_EXPORT int elex_lexical_add(elex_lexical* x, const char* blob, const uint32_t* offsets,
                                 const uint32_t* docs, const uint32_t* fields, uint32_t n) {
  return guarded([&] {
    if (x == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "lexical index is null");
    if (n > 0 && (docs == nullptr || fields == nullptr))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null documents or fields");
    if (Status s = check_blob(blob, offsets, n); s != ELEX_OK) return s;
    for (uint32_t i = 0; i < n; ++i)
      if (Status s =
              x->index.add(docs[i], fields[i], blob + offsets[i], offsets[i + 1] - offsets[i]);
          s != ELEX_OK)
        return s;
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_lexical_glossary(elex_lexical* x, const char* blob, const uint32_t* offsets,
                                      uint32_t n) {
  return guarded([&] {
    if (x == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "lexical index is null");
    if (n > elex::lexical::kMaxSynonyms)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "%u glossary entries; at most %u", n,
                        elex::lexical::kMaxSynonyms);
    if (Status s = check_blob(blob, offsets, 2 * n); s != ELEX_OK) return s;
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t a = 2 * i, b = 2 * i + 1;
      if (Status s = x->index.add_synonym(blob + offsets[a], offsets[a + 1] - offsets[a],
                                          blob + offsets[b], offsets[b + 1] - offsets[b]);
          s != ELEX_OK)
        return s;
    }
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_lexical_finish(elex_lexical* x, elex_lexical_stats* out) {
  return guarded([&] {
    if (x == nullptr || out == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null index or output");
    if (Status s = x->index.finish(); s != ELEX_OK) return s;
    *out = elex_lexical_stats{double(x->index.documents()), double(x->index.terms()),
                              double(x->index.synonyms()), double(x->index.bytes())};
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_lexical_search(const elex_lexical* x, const char* text, size_t len, uint32_t k,
                                    elex_lexical_hit* hits, uint32_t* found) {
  return guarded([&] {
    if (x == nullptr || found == nullptr || (k > 0 && hits == nullptr))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null index or output");
    *found = 0;
    std::vector<elex::lexical::Hit> out;
    if (Status s = x->index.search(text, len, k, &out); s != ELEX_OK) return s;
    for (std::size_t i = 0; i < out.size(); ++i) hits[i] = {out[i].doc, out[i].score};
    *found = uint32_t(out.size());
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_tokenize(const char* text, size_t len, char** out, size_t* out_size) {
  return guarded([&] {
    if (out == nullptr || out_size == nullptr || (text == nullptr && len > 0))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null text or output");
    if (len > elex::embed::kMaxTextBytes)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "text of %zu bytes is over the %zu-byte limit",
                        len, elex::embed::kMaxTextBytes);
    std::vector<std::string> toks;
    elex::embed::tokenize(text, len, &toks);
    std::string joined;
    for (const auto& t : toks) {
      if (!joined.empty()) joined += ' ';
      joined += t;
    }
    char* buf = static_cast<char*>(std::malloc(joined.size() + 1));
    if (buf == nullptr) return elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory for tokens");
    std::memcpy(buf, joined.data(), joined.size());
    buf[joined.size()] = 0;
    *out = buf;
    *out_size = joined.size();
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_tokenize_many(const char* blob, const uint32_t* offsets, uint32_t n,
                                   char** out, size_t* out_size) {
  return guarded([&] {
    if (out == nullptr || out_size == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null output");
    if (Status s = check_blob(blob, offsets, n); s != ELEX_OK) return s;
    std::vector<std::string> toks;
    std::string joined;
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t len = offsets[i + 1] - offsets[i];
      if (len > elex::embed::kMaxTextBytes)
        return elex::fail(ELEX_E_INVALID_ARGUMENT, "text %u of %u bytes is over the %zu-byte limit",
                          i, len, elex::embed::kMaxTextBytes);
      if (i > 0) joined += '\n';
      elex::embed::tokenize(blob + offsets[i], len, &toks);
      for (std::size_t t = 0; t < toks.size(); ++t) {
        if (t > 0) joined += ' ';
        joined += toks[t];
      }
    }
    char* buf = static_cast<char*>(std::malloc(joined.size() + 1));
    if (buf == nullptr) return elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory for tokens");
    std::memcpy(buf, joined.data(), joined.size());
    buf[joined.size()] = 0;
    *out = buf;
    *out_size = joined.size();
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_validate(const float* soa, uint32_t n, uint32_t* masks, uint32_t* counts) {
  return guarded([&] {
    if (n > 0 && (soa == nullptr || masks == nullptr))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null inputs or masks");
    const std::size_t N = n;
    const elex::validate::Input in{soa,         soa + N,     soa + 2 * N, soa + 3 * N,
                                   soa + 4 * N, soa + 5 * N, soa + 6 * N};
    const elex::validate::Counts c = elex::validate::run(in, N, masks);
    if (counts) {
      counts[0] = c.flagged;
      for (unsigned b = 0; b < elex::validate::kFindingCount; ++b) counts[1 + b] = c.by_finding[b];
    }
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_validator_create(uint32_t count, const uint8_t* kinds, const double* bounds,
                                      const double* cooldown_ms, elex_validator** out) {
  return guarded([&] {
    if (out == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "null output");
    *out = nullptr;
    auto* v = new (std::nothrow) elex_validator;
    if (v == nullptr) return elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory for a validator");
    if (Status s = v->v.init(count, kinds, bounds, cooldown_ms); s != ELEX_OK) {
      delete v;
      return s;
    }
    *out = v;
    return ELEX_OK;
  });
}

ELEX_EXPORT void elex_validator_destroy(elex_validator* v) { delete v; }

ELEX_EXPORT int elex_validator_run(elex_validator* v, const elex_validator_run_args* args,
                                   elex_validator_totals* out) {
  return guarded([&] {
    if (v == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "validator is null");
    if (args == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "run arguments are null");
    const elex_validator_run_args& a = *args;
    const elex::validate::Changes c{a.params, a.current, a.proposed, a.at, a.at_all, a.cells, a.n};
    elex::validate::Tally t{};
    if (Status s = v->v.run(c, a.flags, a.reasons, a.verdicts, &t); s != ELEX_OK) return s;
    if (out) {
      *out = elex_validator_totals{double(t.ok), double(t.warn), double(t.reject),
                                   double(t.max_recorded_at), double(v->v.bytes())};
    }
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_validator_floor(elex_validator* v, double at) {
  return guarded([&] {
    if (v == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "validator is null");
    if (std::isnan(at))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "the floor must be a time in ms");
    v->v.set_floor(at);
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_validator_stats(const elex_validator* v, elex_validator_stats_t* out) {
  return guarded([&] {
    if (v == nullptr || out == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null validator or output");
    *out = elex_validator_stats_t{double(v->v.count()), double(v->v.cooldowns().size()),
                                  double(v->v.bytes()), double(v->v.floor())};
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_kpi_eval(elex_engine* engine, const elex_kpi_eval_args* args) {
  return guarded([&] {
    if (args == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "KPI evaluation arguments are null");
    const elex_kpi_eval_args& x = *args;
    if (x.data == nullptr || x.history == nullptr || x.anomalies == nullptr || x.max_z == nullptr ||
        (x.values == nullptr) != (x.reasons == nullptr))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null data or outputs");
    if (double(x.cells) * x.counters * x.periods > 2147483647.0)
      return elex::fail(ELEX_E_INVALID_ARGUMENT,
                        "a batch holds at most 2147483647 samples, not %u cells × %u counters × %u "
                        "periods = %.0f samples: split its cells into batches",
                        x.cells, x.counters, x.periods, double(x.cells) * x.counters * x.periods);
    if (double(x.cells) * x.kpis * x.periods > 2147483647.0)
      return elex::fail(ELEX_E_INVALID_ARGUMENT,
                        "a batch gives at most 2147483647 KPI values, not %u cells × %u KPIs × %u "
                        "periods = %.0f values: split its cells into batches",
                        x.cells, x.kpis, x.periods, double(x.cells) * x.kpis * x.periods);
    const elex::monitor::Programs p{x.ops, x.offsets, x.kpis, x.consts, x.n_consts};
    const elex::monitor::Shape sh{x.cells, x.counters, x.periods};
    const elex::monitor::Alerting a{x.thresholds, x.directions, x.z_threshold, x.min_history};
    elex::monitor::Outputs o{x.values, x.reasons,  x.history, x.anomalies,
                             x.max_z,  x.breaches, x.nulls};
    o.counter_stats = x.counter_stats;
    o.kpi_stats = x.kpi_stats;
    const float* data = x.data;
    return elex::monitor::evaluate(p, sh, data, a, o, engine ? &engine->pool : nullptr);
  });
}

ELEX_EXPORT int elex_row_stats(elex_engine* engine, const float* data, uint32_t rows,
                               uint32_t periods, float* out) {
  return guarded([&] {
    if (data == nullptr || out == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null data or output");
    elex::monitor::row_stats(rows, periods, data, out, engine ? &engine->pool : nullptr);
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_router_create(elex_engine* engine, const elex_router_spec* spec,
                                   elex_router** out) {
  return guarded([&] {
    if (out == nullptr || spec == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "null input");
    *out = nullptr;
    const std::uint64_t F = spec->features, I = spec->items, G = spec->glossary;
    if (F == 0 || F > elex::lexical::kMaxDocuments || I > (1u << 26) ||
        G > elex::lexical::kMaxSynonyms)
      return elex::fail(
          ELEX_E_INVALID_ARGUMENT,
          "router spec: %llu features, %llu items, %llu glossary entries is out of range",
          (unsigned long long)F, (unsigned long long)I, (unsigned long long)G);
    const std::uint64_t texts = 5 * F + 2 * I + 2 * G;
    if (spec->hosted == nullptr || spec->feature_item_offsets == nullptr ||
        (I > 0 && (spec->item_kinds == nullptr || spec->item_feature_offsets == nullptr)))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "router spec: null array");
    if (Status st = check_blob(spec->blob, spec->offsets, std::uint32_t(texts)); st != ELEX_OK)
      return st;
    elex::router::Spec s;
    s.dim = spec->dim;
    s.weights = {spec->weights[0], spec->weights[1], spec->weights[2], spec->weights[3],
                 spec->weights[4], spec->weights[5], spec->weights[6]};
    const auto text = [&](std::uint64_t i) {
      return std::string_view(spec->blob + spec->offsets[i],
                              spec->offsets[i + 1] - spec->offsets[i]);
    };
    s.feature_texts.reserve(5 * F);
    for (std::uint64_t i = 0; i < 5 * F; ++i) s.feature_texts.push_back(text(i));
    s.hosted.assign(spec->hosted, spec->hosted + F);
    if (I > 0) s.item_kinds.assign(spec->item_kinds, spec->item_kinds + I);
    for (std::uint64_t i = 0; i < I; ++i) {
      s.item_names.push_back(text(5 * F + 2 * i));
      s.item_descriptions.push_back(text(5 * F + 2 * i + 1));
    }
    for (std::uint64_t g = 0; g < 2 * G; ++g) s.glossary.push_back(text(5 * F + 2 * I + g));
    s.item_feature_offsets.assign(1, 0);
    if (I > 0) {
      s.item_feature_offsets.assign(spec->item_feature_offsets, spec->item_feature_offsets + I + 1);
      if (s.item_feature_offsets[0] != 0)
        return elex::fail(ELEX_E_INVALID_ARGUMENT, "router spec: offsets must start at 0");
      const std::uint32_t n = s.item_feature_offsets[I];
      if (n > 0 && spec->item_features == nullptr)
        return elex::fail(ELEX_E_INVALID_ARGUMENT, "router spec: null item features");
      if (n > 0) s.item_features.assign(spec->item_features, spec->item_features + n);
    }
    s.feature_item_offsets.assign(spec->feature_item_offsets, spec->feature_item_offsets + F + 1);
    if (s.feature_item_offsets[0] != 0)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "router spec: offsets must start at 0");
    const std::uint32_t n = s.feature_item_offsets[F];
    if (n > 0 && spec->feature_items == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "router spec: null feature items");
    if (n > 0) s.feature_items.assign(spec->feature_items, spec->feature_items + n);
    auto* r = new (std::nothrow) elex_router();
    if (r == nullptr) return elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory for a router");
    if (Status st = r->r.build(s, engine ? &engine->pool : nullptr); st != ELEX_OK) {
      delete r;
      return st;
    }
    *out = r;
    return ELEX_OK;
  });
}

ELEX_EXPORT void elex_router_destroy(elex_router* r) { delete r; }

ELEX_EXPORT int elex_router_save(const elex_router* r, uint8_t** out, size_t* size) {
  return guarded([&] {
    if (r == nullptr || out == nullptr || size == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null input");
    *out = nullptr;
    *size = 0;
    return r->r.save(out, size);
  });
}

ELEX_EXPORT int elex_router_load(const uint8_t* bytes, size_t size, uint32_t dim,
                                 elex_router** out) {
  return guarded([&] {
    if (out == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "null output");
    *out = nullptr;
    auto* r = new (std::nothrow) elex_router();
    if (r == nullptr) return elex::fail(ELEX_E_OUT_OF_MEMORY, "no memory for a router");
    if (Status st = r->r.load(bytes, size); st != ELEX_OK) {
      delete r;
      return st;
    }
    if (r->r.dim() != dim) {
      const std::uint32_t got = r->r.dim();
      delete r;
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "a saved router of dimension %u, not %u", got,
                        dim);
    }
    *out = r;
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_router_route(elex_router* r, const char* text, size_t len, uint32_t k,
                                  elex_route_feature* features, elex_route_match* matches,
                                  uint32_t* counts, float* vector) {
  return guarded([&] {
    if (r == nullptr || features == nullptr || matches == nullptr || counts == nullptr)
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null router or output");
    counts[0] = counts[1] = counts[2] = counts[3] = 0;
    if (Status st = r->r.route(text, len, k, &r->out, vector); st != ELEX_OK) return st;
    uint32_t m = 0;
    for (std::size_t i = 0; i < r->out.size(); ++i) {
      const elex::router::Routed& x = r->out[i];
      elex_route_feature& o = features[i];
      o = {x.feature,
           m,
           uint32_t(x.matched.size()),
           elex::ran::card_code(r->r, x),
           x.score,
           x.vector,
           x.exact,
           x.lexical,
           x.feedback,
           x.item,
           x.technology,
           x.direction};
      for (const elex::router::Match& mt : x.matched)
        matches[m++] = {mt.item, mt.exact ? 1u : 0u, mt.score};
    }
    counts[0] = uint32_t(r->out.size());
    counts[1] = m;
    const elex::ran::Classified c = elex::ran::classify(std::string_view(text, len), r->out, r->r);
    counts[2] = uint32_t(c.type);
    counts[3] = uint32_t(c.complexity);
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_router_embed(const elex_router* r, const char* text, size_t len, float* out) {
  return guarded([&] {
    if (r == nullptr || out == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "null input");
    return r->r.embed(text, len, out);
  });
}

ELEX_EXPORT int elex_router_remember(elex_router* r, const uint32_t* ids, const uint32_t* features,
                                     const float* rewards, const char* blob,
                                     const uint32_t* offsets, uint32_t n) {
  return guarded([&] {
    if (r == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "router is null");
    if (Status st = check_blob(blob, offsets, n); st != ELEX_OK) return st;
    std::vector<std::string_view> texts(n);
    for (uint32_t i = 0; i < n; ++i)
      texts[i] = std::string_view(blob + offsets[i], offsets[i + 1] - offsets[i]);
    return r->r.remember(ids, features, rewards, texts.data(), n);
  });
}

ELEX_EXPORT int elex_router_forget(elex_router* r, const uint32_t* ids, uint32_t n) {
  return guarded([&] {
    if (r == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "router is null");
    return r->r.forget(ids, n);
  });
}

ELEX_EXPORT int elex_router_trim(elex_router* r, double free_bytes, double host_bytes,
                                 uint32_t* forgotten, uint32_t cap, uint32_t* n) {
  return guarded([&] {
    if (r == nullptr || n == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "null input");
    *n = 0;
    std::size_t free = 0, host = 0;
    if (Status st = to_size(free_bytes, "free_bytes", &free); st != ELEX_OK) return st;
    if (Status st = to_size(host_bytes, "host_bytes", &host); st != ELEX_OK) return st;
    if (cap < r->r.memories() || (cap > 0 && forgotten == nullptr))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "room for %u ids, %zu remembered", cap,
                        r->r.memories());
    const std::size_t held = r->r.memory_bytes() + r->r.memories() * host;
    std::vector<std::uint32_t> out;
    const Status st = r->r.trim_memory(held > free ? held - free : 0, &out, host);
    std::copy(out.begin(), out.end(), forgotten);
    *n = std::uint32_t(out.size());
    return st;
  });
}

ELEX_EXPORT int elex_router_stats(const elex_router* r, elex_router_stats_t* out) {
  return guarded([&] {
    if (r == nullptr || out == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "null input");
    const elex::router::BuildPhases& p = r->r.phases();
    *out =
        elex_router_stats_t{double(r->r.features()), double(r->r.hosted()), double(r->r.memories()),
                            double(r->r.bytes()),    double(p.lexical),     double(p.exact),
                            double(p.vectors),       double(p.items)};
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_router_items(const elex_router* r, elex_router_items_t* out) {
  return guarded([&] {
    if (r == nullptr || out == nullptr) return elex::fail(ELEX_E_INVALID_ARGUMENT, "null input");
    const elex::router::Router& x = r->r;
    std::uint32_t kinds[4] = {0, 0, 0, 0};
    for (std::uint32_t i = 0; i < x.items(); ++i)
      if (x.item_kinds()[i] < 4) ++kinds[x.item_kinds()[i]];
    *out = elex_router_items_t{x.features(),
                               x.items(),
                               x.hosted(),
                               kinds[elex::router::kFeature],
                               kinds[elex::router::kParameter],
                               kinds[elex::router::kCounter],
                               kinds[elex::router::kKpi],
                               0,
                               x.item_names().text(),
                               x.item_names().offsets(),
                               x.item_kinds(),
                               x.hosted_features(),
                               x.feature_names().text(),
                               x.feature_names().offsets()};
    return ELEX_OK;
  });
}

ELEX_EXPORT int elex_classify(const char* text, size_t len, const double* scores, uint32_t n,
                              const elex_class_match* matches, uint32_t m, uint32_t* out) {
  return guarded([&] {
    if (out == nullptr || (len > 0 && text == nullptr) || (n > 0 && scores == nullptr) ||
        (m > 0 && matches == nullptr))
      return elex::fail(ELEX_E_INVALID_ARGUMENT, "null input");
    // Matches grouped by candidate (stable: each candidate's in their order).
    std::vector<uint32_t> count(std::size_t(n) + 1, 0);
    for (uint32_t i = 0; i < m; ++i) {
      if (matches[i].candidate >= n)
        return elex::fail(ELEX_E_INVALID_ARGUMENT, "match %u is of candidate %u of %u", i,
                          matches[i].candidate, n);
      if (matches[i].kind > elex::router::kKpi)
        return elex::fail(ELEX_E_INVALID_ARGUMENT, "match %u has unknown kind %u", i,
                          unsigned(matches[i].kind));
      ++count[matches[i].candidate + 1];
    }
    for (uint32_t c = 0; c < n; ++c) count[c + 1] += count[c];
    std::vector<elex::ran::ClassMatch> grouped(m);
    std::vector<uint32_t> at(count.begin(), count.end() - 1);
    for (uint32_t i = 0; i < m; ++i)
      grouped[at[matches[i].candidate]++] = {elex::router::ItemKind(matches[i].kind),
                                             matches[i].exact != 0, matches[i].score};
    std::vector<elex::ran::Candidate> cands(n);
    for (uint32_t c = 0; c < n; ++c)
      cands[c] = {scores[c], grouped.data() + count[c], count[c + 1] - count[c]};
    const elex::ran::Classified r =
        elex::ran::classify(std::string_view(text == nullptr ? "" : text, len), cands.data(), n);
    out[0] = uint32_t(r.type);
    out[1] = uint32_t(r.complexity);
    return ELEX_OK;
  });
}

}  // extern "C"
