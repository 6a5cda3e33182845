// The catalog checks of ts/host/catalog.ts (checkCatalog, loadCatalog), rule for
// rule and in the same order, over a json::Value.
#include "elex/ran/catalog.h"

#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "elex/core/utf8.h"
#include "elex/ran/formula.h"

namespace elex::catalog {

namespace {

using json::Value;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Whether a string value is longer than `max` UTF-16 units (never when its
/// UTF-8 bytes are not: a unit takes at least one byte).
bool longer_than(const Value& v, std::size_t max) {
  return v.string().size() > max && v.utf16_length() > max;
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return is_upper(c) || (c >= 'a' && c <= 'z'); }
bool is_word(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }

/// ^[A-Z]{2,5} ?\d{2,4} ?\d{2,5}(\/\d+)?$ (JavaScript, ASCII \d).
bool code_ok(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && is_upper(s[i])) ++i;
  if (i < 2 || i > 5) return false;
  if (i < s.size() && s[i] == ' ') ++i;
  const auto run = [&](std::size_t from) {
    std::size_t j = from;
    while (j < s.size() && is_digit(s[j])) ++j;
    return j - from;
  };
  const std::size_t d1 = run(i);
  i += d1;
  if (i < s.size() && s[i] == ' ') {
    if (d1 < 2 || d1 > 4) return false;
    ++i;
    const std::size_t d2 = run(i);
    if (d2 < 2 || d2 > 5) return false;
    i += d2;
  } else if (d1 < 4 || d1 > 9) {
    return false;
  }
  if (i == s.size()) return true;
  if (s[i] != '/') return false;
  ++i;
  const std::size_t d3 = run(i);
  return d3 > 0 && i + d3 == s.size();
}

std::string without_spaces(std::string_view code) {
  std::string out;
  for (const char c : code)
    if (c != ' ') out += c;
  return out;
}

/// Whether `s` (UTF-8) starts or ends with white space (JavaScript's \s).
bool padded(std::string_view s) {
  if (s.empty()) return false;
  if (utf8::js_space(utf8::decode(s.data(), s.size()).cp)) return true;
  std::size_t last = s.size() - 1;
  while (last > 0 && s.size() - last < 4 && (static_cast<unsigned char>(s[last]) & 0xC0) == 0x80)
    --last;
  return utf8::js_space(utf8::decode(s.data() + last, s.size() - last).cp);
}

constexpr const char* kPadded = "must not start or end with a space: names are matched as written";

/// ^[A-Za-z][\w-]*\.[A-Za-z][\w-]*$
bool parameter_name_ok(std::string_view s) {
  const std::size_t dot = s.find('.');
  if (dot == std::string_view::npos) return false;
  const auto part = [](std::string_view p) {
    if (p.empty() || !is_alpha(p[0])) return false;
    for (char c : p)
      if (!is_word(c) && c != '-') return false;
    return true;
  };
  return part(s.substr(0, dot)) && part(s.substr(dot + 1));
}

class Checker {
 public:
  std::vector<Problem> problems;

  void bad(const std::string& path, std::string message) {
    if (problems.size() < kMaxProblems) problems.push_back({path, std::move(message)});
  }

  static bool defined(const Value* v) { return v != nullptr; }

  // A field's path is base + dot + key (key may be null), made only when it
  // has a problem: most fields have none, and a catalog has tens of
  // thousands of them.
  static std::string at(const std::string& base, const char* key) {
    return key ? base + "." + key : base;
  }
  void str(const Value* v, const std::string& base, const char* key, bool required = false) {
    if (!v) {
      if (required) bad(at(base, key), "is required");
      return;
    }
    if (!v->is_string() || v->string().empty() || longer_than(*v, kMaxText))
      bad(at(base, key), "must be a non-empty string (at most 4096 characters)");
  }
  void str_list(const Value* v, const std::string& base, const char* key, bool names = false) {
    if (!v) return;
    if (!v->is_array()) return bad(at(base, key), "must be an array of strings");
    const auto& a = v->array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      const Value& x = a[i];
      if (!x.is_string() || x.string().empty() || longer_than(x, kMaxText))
        bad(at(base, key) + "[" + std::to_string(i) + "]",
            "must be a non-empty string (at most 4096 characters)");
      else if (names && padded(x.string()))
        bad(at(base, key) + "[" + std::to_string(i) + "]", kPadded);
    }
  }
  /// A name is matched as written: "X " would be another item than "X" (a
  /// bare one, silently).
  void padded_name(const Value* v, const std::string& base, const char* key) {
    if (v && v->is_string() && !v->string().empty() && !longer_than(*v, kMaxText) &&
        padded(v->string()))
      bad(at(base, key), kPadded);
  }
  void num(const Value* v, const std::string& base, const char* key) {
    if (v && (!v->is_number() || !std::isfinite(v->number())))
      bad(at(base, key), "must be a finite number");
  }

  [[gnu::noinline]] void feature(const Value& f, std::size_t i) {
    const std::string p = "$.features[" + std::to_string(i) + "]";
    if (!f.is_object()) return bad(p, "must be an object");
    const Value* code = f.find("code");
    if (!code)
      bad(p + ".code", "is required: a feature code such as \"FAJ 121 3094\"");
    else if (!code->is_string() || !code_ok(code->string()))
      bad(p + ".code",
          "must be a feature code such as \"FAJ 121 3094\": 2 to 5 capitals, then groups of 2 "
          "to 4 and 2 to 5 digits, optionally \"/n\"");
    else if (!codes_.insert(code->string()).second)
      bad(p + ".code", "duplicate feature code \"" + code->string() + "\"");
    else if (const auto [at, fresh] = spaced_.emplace(without_spaces(code->string()), i); !fresh)
      bad(p + ".code", "duplicate feature code \"" + code->string() + "\": $.features[" +
                           std::to_string(at->second) + "] is \"" +
                           (*features_)[at->second].find("code")->string() +
                           "\", the same code with other spacing (a question names both alike)");
    for (const char* k : {"name", "acronym", "category", "description"}) str(f.find(k), p, k);
    str_list(f.find("dependencies"), p, "dependencies");
    for (const char* k : {"parameters", "counters", "kpis"}) str_list(f.find(k), p, k, true);
  }

  void run(const Value& input) {
    if (!input.is_object()) return bad("$", "a catalog is a JSON object with a \"features\" array");
    if (const Value* f = input.find("format");
        f && !(f->is_string() && f->string() == "elex-catalog"))
      bad("$.format", "must be \"elex-catalog\"");
    if (const Value* v = input.find("version"); v && !(v->is_number() && v->number() == 1))
      bad("$.version", "this build reads version 1");
    str(input.find("name"), "$", "name");
    if (const Value* s = input.find("seed"); s && !(s->is_number() && std::isfinite(s->number()) &&
                                                    std::trunc(s->number()) == s->number()))
      bad("$.seed", "must be an integer");
    const Value* features = input.find("features");
    if (!features || !features->is_array() || features->array().empty())
      return bad("$.features", "is required: a non-empty array of features");
    const auto& fs = features->array();
    features_ = &fs;
    codes_.reserve(fs.size());
    spaced_.reserve(fs.size());
    for (std::size_t i = 0; i < fs.size(); ++i) feature(fs[i], i);
    for (std::size_t i = 0; i < fs.size(); ++i) {
      const Value* deps = fs[i].find("dependencies");
      if (!deps || !deps->is_array()) continue;
      const auto& d = deps->array();
      for (std::size_t j = 0; j < d.size(); ++j)
        if (d[j].is_string() && !codes_.count(d[j].string()))
          bad("$.features[" + std::to_string(i) + "].dependencies[" + std::to_string(j) + "]",
              "unknown feature code \"" + d[j].string() + "\"");
    }
    named(input, "parameters", &Checker::parameter_extra);
    named(input, "counters", nullptr);
    if (const Value* g = input.find("glossary")) {
      if (!g->is_array()) {
        bad("$.glossary", "must be an array of { term, means }");
      } else if (g->array().size() > kMaxGlossary) {
        bad("$.glossary", "holds at most 65,536 entries");
      } else {
        const auto& a = g->array();
        for (std::size_t i = 0; i < a.size(); ++i) {
          const std::string p = "$.glossary[" + std::to_string(i) + "]";
          if (!a[i].is_object()) {
            bad(p, "must be an object { term, means }");
            continue;
          }
          for (const char* k : {"term", "means"}) {
            const Value* t = a[i].find(k);
            if (!t || !t->is_string() || t->string().empty() || longer_than(*t, kMaxGlossaryText))
              bad(p + "." + k, "must be a string of 1 to 256 characters");
          }
        }
      }
    }
    // The catalog's counters: monitor() takes no other in a batch, so a
    // formula over another could never be computed.
    if (const Value* cs = input.find("counters"); cs && cs->is_array())
      for (const Value& o : cs->array())
        if (const Value* n = o.is_object() ? o.find("name") : nullptr; n && n->is_string())
          counter_names_.insert(n->string());
    for (const Value& f : fs)
      if (const Value* cs = f.is_object() ? f.find("counters") : nullptr; cs && cs->is_array())
        for (const Value& n : cs->array())
          if (n.is_string()) counter_names_.insert(n.string());
    named(input, "kpis", &Checker::kpi_extra);
  }

 private:
  std::unordered_set<std::string> codes_;
  /// Each code without its spaces → the index of the feature that has it (a
  /// question names "FAJ 121 3094" and "FAJ1213094" alike).
  std::unordered_map<std::string, std::size_t> spaced_;
  const std::vector<Value>* features_ = nullptr;
  std::unordered_set<std::string> counter_names_;

  using Extra = void (Checker::*)(const Value&, const std::string&);

  void named(const Value& input, const char* key, Extra extra) {
    const Value* list = input.find(key);
    if (!list) return;
    if (!list->is_array()) return bad(std::string("$.") + key, "must be an array");
    std::unordered_set<std::string> seen;
    seen.reserve(list->array().size());
    const auto& a = list->array();
    for (std::size_t i = 0; i < a.size(); ++i) item(a[i], key, i, extra, &seen);
  }

  // One call per item, not inlined, as read_list() reads them (see there).
  [[gnu::noinline]] void item(const Value& o, const char* key, std::size_t i, Extra extra,
                              std::unordered_set<std::string>* seen) {
    const std::string p = std::string("$.") + key + "[" + std::to_string(i) + "]";
    if (!o.is_object()) return bad(p, "must be an object");
    const Value* name = o.find("name");
    str(name, p, "name", true);
    if (extra != &Checker::parameter_extra)
      padded_name(name, p, "name");  // a parameter's has its pattern
    if (name && name->is_string() && !seen->insert(name->string()).second)
      bad(p + ".name", "duplicate name \"" + name->string() + "\"");
    const Value* features = o.find("features");
    str_list(features, p, "features");
    if (features && features->is_array()) {
      const auto& fa = features->array();
      for (std::size_t j = 0; j < fa.size(); ++j)
        if (fa[j].is_string() && !codes_.count(fa[j].string()))
          bad(p + ".features[" + std::to_string(j) + "]",
              "unknown feature code \"" + fa[j].string() + "\"");
    }
    str(o.find("unit"), p, "unit");
    str(o.find("description"), p, "description");
    if (extra) (this->*extra)(o, p);
  }

  void parameter_extra(const Value& o, const std::string& p) {
    const Value* name = o.find("name");
    if (name && name->is_string() && !parameter_name_ok(name->string()))
      bad(p + ".name", "a parameter name is \"MOClass.attribute\"");
    if (const Value* t = o.find("type")) {
      const bool ok = t->is_string() &&
                      (t->string() == "int" || t->string() == "float" || t->string() == "bool" ||
                       t->string() == "enum" || t->string() == "string");
      if (!ok) bad(p + ".type", "must be int, float, bool, enum or string");
    }
    if (const Value* r = o.find("range")) {
      bool ok = r->is_array() && r->array().size() == 2;
      if (ok)
        for (const Value& x : r->array()) ok = ok && x.is_number() && std::isfinite(x.number());
      if (!ok)
        bad(p + ".range", "must be [min, max]: an array of two finite numbers");
      else if (r->array()[0].number() > r->array()[1].number())
        bad(p + ".range", "must be [min, max] with min <= max");
    }
    str_list(o.find("values"), p, "values");
    if (const Value* d = o.find("default");
        d && !(d->is_bool() || d->is_string() || (d->is_number() && std::isfinite(d->number()))))
      bad(p + ".default", "must be a number, boolean or string");
    if (const Value* s = o.find("safe")) {
      if (!s->is_object()) {
        bad(p + ".safe", "must be an object");
      } else {
        const std::string ps = p + ".safe";
        for (const char* k : {"min", "max", "maxChange", "cooldownS"}) num(s->find(k), ps, k);
        const Value *mn = s->find("min"), *mx = s->find("max"), *mc = s->find("maxChange"),
                    *cd = s->find("cooldownS");
        if (mn && mx && mn->is_number() && mx->is_number() && mn->number() > mx->number())
          bad(p + ".safe", "min must be <= max");
        if (mc && mc->is_number() && mc->number() < 0) bad(p + ".safe.maxChange", "must be >= 0");
        if (cd && cd->is_number() && cd->number() < 0) bad(p + ".safe.cooldownS", "must be >= 0");
      }
    }
  }

  void kpi_extra(const Value& o, const std::string& p) {
    const Value* f = o.find("formula");
    str(f, p, "formula");
    if (f && f->is_string() && !f->string().empty() && !longer_than(*f, kMaxText)) {
      std::vector<formula::Step> steps;
      if (formula::parse(f->string(), &steps) != ELEX_OK) {
        bad(p + ".formula", last_error_message());
      } else {
        for (const formula::Step& s : steps)
          if (s.kind == formula::Step::kCounter && !counter_names_.count(std::string(s.name))) {
            bad(p + ".formula", "counter \"" + std::string(s.name) +
                                    "\" is not in the catalog: define it under counters or list "
                                    "it in a feature's counters");
            break;
          }
      }
    }
    num(o.find("threshold"), p, "threshold");
    if (const Value* d = o.find("direction");
        d && !(d->is_string() && (d->string() == "higher" || d->string() == "lower")))
      bad(p + ".direction", "must be \"higher\" or \"lower\"");
  }
};

std::string text_of(const Value* v) { return v && v->is_string() ? v->string() : std::string(); }

std::vector<std::string> list_of(const Value* v) {
  std::vector<std::string> out;
  if (v && v->is_array())
    for (const Value& x : v->array()) out.push_back(x.string());
  return out;
}

double number_of(const Value* v) { return v && v->is_number() ? v->number() : kNaN; }

/// Adds the bare entries a feature names and links both ways.
template <class T>
void link(std::vector<T>* items, std::unordered_map<std::string, std::uint32_t>* index,
          std::unordered_set<std::string>* links, const std::vector<std::string>& names,
          const std::string& code) {
  for (const std::string& name : names) {
    auto it = index->find(name);
    if (it == index->end()) {
      T bare{};
      bare.name = name;
      bare.bare = true;
      if constexpr (std::is_same_v<T, Parameter>) {
        bare.safe_min = bare.safe_max = bare.max_change = bare.cooldown_s = kNaN;
      } else if constexpr (std::is_same_v<T, Kpi>) {
        bare.threshold = kNaN;
      }
      it = index->emplace(name, std::uint32_t(items->size())).first;
      items->push_back(std::move(bare));
    }
    std::string key = std::to_string(it->second);
    key += '\0';
    key += code;
    if (links->insert(std::move(key)).second) (*items)[it->second].features.push_back(code);
  }
}

[[gnu::noinline]] Feature feature_of(const Value& f) {
  Feature x;
  x.code = f.find("code")->string();
  x.name = text_of(f.find("name"));
  x.acronym = text_of(f.find("acronym"));
  x.category = text_of(f.find("category"));
  x.description = text_of(f.find("description"));
  x.dependencies = list_of(f.find("dependencies"));
  x.parameters = list_of(f.find("parameters"));
  x.counters = list_of(f.find("counters"));
  x.kpis = list_of(f.find("kpis"));
  return x;
}

[[gnu::noinline]] Parameter parameter_of(const Value& o) {
  Parameter p;
  p.name = o.find("name")->string();
  p.features = list_of(o.find("features"));
  if (const Value* t = o.find("type")) {
    const std::string& s = t->string();
    p.type = s == "int"     ? ParamType::kInt
             : s == "float" ? ParamType::kFloat
             : s == "bool"  ? ParamType::kBool
             : s == "enum"  ? ParamType::kEnum
                            : ParamType::kString;
  }
  p.unit = text_of(o.find("unit"));
  p.description = text_of(o.find("description"));
  if (const Value* r = o.find("range")) {
    p.has_range = true;
    p.range_min = r->array()[0].number();
    p.range_max = r->array()[1].number();
  }
  p.values = list_of(o.find("values"));
  p.has_values = o.find("values") != nullptr;
  if (const Value* d = o.find("default")) p.default_value = *d;
  const Value* s = o.find("safe");
  p.has_safe = s != nullptr;
  p.safe_min = number_of(s ? s->find("min") : nullptr);
  p.safe_max = number_of(s ? s->find("max") : nullptr);
  p.max_change = number_of(s ? s->find("maxChange") : nullptr);
  p.cooldown_s = number_of(s ? s->find("cooldownS") : nullptr);
  return p;
}

[[gnu::noinline]] Counter counter_of(const Value& o) {
  Counter x;
  x.name = o.find("name")->string();
  x.features = list_of(o.find("features"));
  x.unit = text_of(o.find("unit"));
  x.description = text_of(o.find("description"));
  return x;
}

[[gnu::noinline]] Kpi kpi_of(const Value& o) {
  Kpi x;
  x.name = o.find("name")->string();
  x.features = list_of(o.find("features"));
  x.formula = text_of(o.find("formula"));
  x.unit = text_of(o.find("unit"));
  x.description = text_of(o.find("description"));
  x.threshold = number_of(o.find("threshold"));
  const std::string d = text_of(o.find("direction"));
  x.direction = d == "higher" ? 1 : d == "lower" ? -1 : 0;
  return x;
}

/// Reads a checked list: each item through `read` (one call per item, not
/// inlined: were the loader in wasm, its engine would tier up that code
/// while a long list is read, where a loop in a function called once runs
/// in its baseline code throughout), indexed by its `key` field.
template <class T, class Read>
void read_list(const Value& list, const char* key, Read read, std::vector<T>* items,
               std::unordered_map<std::string, std::uint32_t>* index) {
  const auto& a = list.array();
  items->reserve(a.size());
  index->reserve(a.size());
  for (const Value& o : a) {
    index->emplace(o.find(key)->string(), std::uint32_t(items->size()));
    items->push_back(read(o));
  }
}

template <class T>
void seed_links(const std::vector<T>& items, std::unordered_set<std::string>* links) {
  for (std::size_t i = 0; i < items.size(); ++i)
    for (const std::string& code : items[i].features) {
      std::string key = std::to_string(i);
      key += '\0';
      key += code;
      links->insert(std::move(key));
    }
}

}  // namespace

Stats Catalog::stats() const {
  std::unordered_set<std::string> categories;
  for (const Feature& f : features)
    categories.insert(f.category.empty() ? "Uncategorised" : f.category);
  return {features.size(), parameters.size(), counters.size(), kpis.size(), categories.size()};
}

std::vector<Problem> check(const json::Value& doc) {
  Checker c;
  c.run(doc);
  return std::move(c.problems);
}

namespace {

Status refuse(std::string_view source, const std::vector<Problem>& problems) {
  std::string msg(source);
  msg += " is not a valid ELEX catalog: ";
  for (std::size_t i = 0; i < problems.size() && i < kMessageProblems; ++i) {
    if (i) msg += "; ";
    msg += problems[i].path + ": " + problems[i].message;
  }
  if (problems.size() > kMessageProblems)
    msg += "; and " + std::to_string(problems.size() - kMessageProblems) + " more";
  return fail(ELEX_E_INVALID_ARGUMENT, "%s", msg.c_str());
}

}  // namespace

Status load(const json::Value& doc, Catalog* out, std::vector<Problem>* problems,
            std::string_view source) {
  *out = Catalog();
  std::vector<Problem> found = check(doc);
  if (problems) *problems = found;
  if (!found.empty()) return refuse(source, found);
  Catalog& c = *out;
  c.name = text_of(doc.find("name"));
  const Value& features = *doc.find("features");
  read_list(features, "code", feature_of, &c.features, &c.feature_index);
  if (const Value* list = doc.find("parameters"))
    read_list(*list, "name", parameter_of, &c.parameters, &c.parameter_index);
  if (const Value* list = doc.find("counters"))
    read_list(*list, "name", counter_of, &c.counters, &c.counter_index);
  if (const Value* list = doc.find("kpis")) read_list(*list, "name", kpi_of, &c.kpis, &c.kpi_index);
  if (const Value* list = doc.find("glossary"))
    for (const Value& g : list->array())
      c.glossary.push_back({g.find("term")->string(), g.find("means")->string()});
  std::unordered_set<std::string> pl, cl, kl;
  seed_links(c.parameters, &pl);
  seed_links(c.counters, &cl);
  seed_links(c.kpis, &kl);
  for (const Feature& f : c.features) {
    link(&c.parameters, &c.parameter_index, &pl, f.parameters, f.code);
    link(&c.counters, &c.counter_index, &cl, f.counters, f.code);
    link(&c.kpis, &c.kpi_index, &kl, f.kpis, f.code);
  }
  return ELEX_OK;
}

Status load_json(std::string_view text, Catalog* out, std::vector<Problem>* problems,
                 std::string_view source) {
  // A UTF-8 byte order mark (Windows editors write one) is not part of the
  // JSON, as fetch() in the browser reads a catalog file.
  text = utf8::without_bom(text);
  json::Value doc;
  std::string path;
  if (json::parse(text, &doc, &path) != ELEX_OK) {
    *out = Catalog();
    std::vector<Problem> one{{path, last_error_message()}};
    if (problems) *problems = one;
    return refuse(source, one);
  }
  return load(doc, out, problems, source);
}

Status load_glossary(std::string_view text, std::vector<std::pair<std::string, std::string>>* out) {
  out->clear();
  json::Value doc;
  if (json::parse(text, &doc) != ELEX_OK) return ELEX_E_INVALID_ARGUMENT;
  const Value* entries = doc.find("entries");
  if (!entries || !entries->is_array())
    return fail(ELEX_E_INVALID_ARGUMENT,
                "a glossary file is { \"entries\": [[term, means], ...] }");
  for (std::size_t i = 0; i < entries->array().size(); ++i) {
    const Value& e = entries->array()[i];
    if (!e.is_array() || e.array().size() != 2 || !e.array()[0].is_string() ||
        !e.array()[1].is_string())
      return fail(ELEX_E_INVALID_ARGUMENT, "glossary entries[%zu] is not [term, means]", i);
    out->emplace_back(e.array()[0].string(), e.array()[1].string());
  }
  return ELEX_OK;
}

void router_spec(const Catalog& c, const std::vector<std::pair<std::string, std::string>>& base,
                 const std::vector<std::uint8_t>& hosted, router::Spec* spec,
                 std::vector<RouterItem>* items) {
  router::Spec& s = *spec;
  s.feature_texts.clear();
  s.hosted.clear();
  s.item_kinds.clear();
  s.item_names.clear();
  s.item_descriptions.clear();
  s.item_feature_offsets.assign(1, 0);
  s.item_features.clear();
  s.feature_item_offsets.assign(1, 0);
  s.feature_items.clear();
  s.glossary.clear();
  if (items) items->clear();
  for (std::size_t f = 0; f < c.features.size(); ++f) {
    const Feature& x = c.features[f];
    for (const std::string* t : {&x.code, &x.name, &x.acronym, &x.category, &x.description})
      s.feature_texts.emplace_back(*t);
    s.hosted.push_back(hosted.empty() ? 1 : hosted[f]);
    if (items) items->push_back({router::kFeature, std::uint32_t(f)});
  }
  const auto add = [&](router::ItemKind kind, std::uint32_t index, const std::string& name,
                       const std::string& description, const std::vector<std::string>& features) {
    s.item_kinds.push_back(kind);
    s.item_names.emplace_back(name);
    s.item_descriptions.emplace_back(description);
    for (const std::string& code : features) s.item_features.push_back(c.feature_index.at(code));
    s.item_feature_offsets.push_back(std::uint32_t(s.item_features.size()));
    if (items) items->push_back({kind, index});
  };
  for (std::uint32_t i = 0; i < c.parameters.size(); ++i)
    add(router::kParameter, i, c.parameters[i].name, c.parameters[i].description,
        c.parameters[i].features);
  for (std::uint32_t i = 0; i < c.counters.size(); ++i)
    add(router::kCounter, i, c.counters[i].name, c.counters[i].description, c.counters[i].features);
  for (std::uint32_t i = 0; i < c.kpis.size(); ++i)
    add(router::kKpi, i, c.kpis[i].name, c.kpis[i].description, c.kpis[i].features);
  const std::uint32_t first_counter = std::uint32_t(c.parameters.size());
  const std::uint32_t first_kpi = first_counter + std::uint32_t(c.counters.size());
  for (const Feature& f : c.features) {
    for (const std::string& n : f.parameters) s.feature_items.push_back(c.parameter_index.at(n));
    for (const std::string& n : f.counters)
      s.feature_items.push_back(first_counter + c.counter_index.at(n));
    for (const std::string& n : f.kpis) s.feature_items.push_back(first_kpi + c.kpi_index.at(n));
    s.feature_item_offsets.push_back(std::uint32_t(s.feature_items.size()));
  }
  for (const auto& [term, means] : base) {
    s.glossary.emplace_back(term);
    s.glossary.emplace_back(means);
  }
  for (const GlossaryEntry& g : c.glossary) {
    s.glossary.emplace_back(g.term);
    s.glossary.emplace_back(g.means);
  }
}

std::uint32_t shard_of(std::string_view code, std::uint32_t shards) {
  if (shards == 0) return 0;
  std::uint32_t h = 0x811c9dc5u;
  for (const char c : code) h = (h ^ std::uint8_t(c)) * 0x01000193u;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h % shards;
}

}  // namespace elex::catalog
