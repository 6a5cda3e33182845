// elex-cli — the native command-line tool over the same C++ core as the
// browser build: checks catalogs, routes questions, evaluates routing,
// validates parameter changes and computes KPIs from files.
//
//   elex-cli check FILE...                       problems of each catalog (JSON lines)
//   elex-cli route --catalog FILE [--k 5] [--workers N --worker I]
//                  [--no-default-glossary] [--glossary FILE]
//                  (--question TEXT | --questions FILE)
//   elex-cli query --catalog FILE (--question TEXT | --questions FILE)
//                  [--k 5] [--deadline-ms 500]   query cycles (pipeline.h)
//   elex-cli eval --catalog FILE --questions FILE [--k 5] [--json]
//   elex-cli validate --catalog FILE --changes FILE [--no-record]
//   elex-cli monitor --catalog FILE --batch FILE [--z 3] [--min-history 8]
//
// Output is JSON lines on stdout; errors go to stderr as
// "elex-cli: CODE: message" with CODE a stable name of elex/core/status.h, and
// the exit status is 1 (2 for a usage error).
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli_ops.h"
#include "elex/core/json.h"
#include "elex/core/status.h"
#include "elex/core/utf8.h"
#include "elex/pipeline/pipeline.h"
#include "elex/ran/answer.h"
#include "elex/ran/catalog.h"
#include "elex/ran/classify.h"
#include "elex/ran/router.h"

namespace elex::cli {
extern const char* const kDefaultGlossary;  // catalog/glossary.json, embedded at build time
}

namespace {

using elex::Status;
namespace catalog = elex::catalog;
namespace json = elex::json;
namespace router = elex::router;

constexpr const char* kUsage =
    R"(elex-cli: the ELEX engine on the command line (native build of the C++ core)

usage:
  elex-cli check FILE...
      Checks catalogs as checkCatalog() does. One JSON line per file:
      {"file", "ok", "problems": [{"path", "message"}], "stats"}. A file it
      cannot read is a line with ok false and the reason as its problem (and
      on stderr); the others are still checked. Exit 1 if any has problems.
  elex-cli route --catalog FILE (--question TEXT | --questions FILE) [options]
      Routes questions as the browser does (dim 512, default weights, the
      default glossary then the catalog's). One JSON line per question:
      {"q", "features": [{"code", "name", "score", "evidence", "matched"}]};
      with --terms also "terms": [[term, weight], ...], the words the lexical
      index searches for (glossary expansions, respellings, abbreviations).
  elex-cli query --catalog FILE (--question TEXT | --questions FILE) [--k 5]
                 [--deadline-ms 500]
      One query cycle per question, as query() does in the browser (the
      engine's pipeline: route, classify, the routed features' agents
      decide, answers). Agents start cold in each run. One JSON line per
      question: {"q", "type", "complexity", "features", "action", "agents":
      [{"code", "action", "confidence", "explored", "answer"}], "timings":
      {"route", "classify", "agents", "answer", "total"} (ms), "partial"
      (the deadline passed first)}.
  elex-cli eval --catalog FILE --questions FILE [--k 5] [--json]
      Top-1 and top-5 per split. Questions: {"questions": [{q, code|expected,
      split|kind}]} (eval/facts-questions.json, eval/questions.json).
  elex-cli validate --catalog FILE --changes FILE [--no-record]
      Validates parameter changes as validate() does. The file: an array (or
      {"changes": [...]}) of {parameter, cell?, current, proposed, at (ms)}.
      One JSON line per change: {"parameter", "cell", "verdict", "reasons"}.
      Changes are checked in order; an accepted one starts its cooldown for
      the later ones (--no-record: not).
  elex-cli monitor --catalog FILE --batch FILE [--z 3] [--min-history 8]
      Computes KPIs as monitor() does. The file: {cells, counters, periods,
      data, kpis?} with data the cells x counters x periods samples in that
      order (null = missing; a number beyond float32's range is refused),
      or an array of such batches, run in order with each cell's KPI
      history kept. One JSON line per batch and cell: {"batch", "cell",
      "kpis": [{name, mean, min, max, count, nulls, breaches, anomalies,
      maxZ}]} (a statistic that is not finite, from a KPI value that
      overflowed float32, is null).

options (each at most once, and only to a command that reads it):
  --k N                   route, query, eval: features per question (1..1024, default 5)
  --workers N --worker I  route, query, eval: host only worker I's share of N (as a pool worker)
  --no-default-glossary   route, query, eval: leave catalog/glossary.json out
  --glossary FILE         route, query, eval: another default glossary ({"entries": [[term, means]]})
  --terms                 route: also the question's lexical terms and their weights
  --deadline-ms X         query: each question's budget in ms (default 500)
  --json                  eval: one JSON object instead of a table
  --via-state             route, query, eval: build the router, save its state and load it
                          again (as a cached one is); times each step on stderr
  --no-record             validate: accepted changes start no cooldown
  --z X                   monitor: |z| above which a period is an anomaly (default 3)
  --min-history N         monitor: earlier values a cell needs before anomalies count (default 8)
  --help                  this text

A --questions file is JSON (an array of strings or of {q}, or {"questions":
[...]}) or plain text, one question per line. Input files are UTF-8 (a
UTF-8 byte order mark is skipped; a UTF-16 file, with its byte order mark
FF FE or FE FF, is refused).
Errors: "elex-cli: CODE: message" on stderr (CODE from elex/core/status.h:
INVALID_ARGUMENT, NOT_FOUND, ...), the message starting with the input file
it is about; exit 1, or 2 for a usage error. A
question route or query cannot take (empty, too long) is a line {"q",
"error": {"code", "message"}} in its place; the others are answered, and
the exit status is 1. Output that cannot be written: "elex-cli: cannot
write the output: REASON", exit 1.
)";

[[noreturn]] void die(Status st, const std::string& msg) {
  std::fprintf(stderr, "elex-cli: %s: %s\n", elex_status_name(st), msg.c_str());
  std::exit(1);
}

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr, "elex-cli: %s\n(elex-cli --help for usage)\n", msg.c_str());
  std::exit(2);
}

/// The whole file, or an error naming why it cannot be read (a directory
/// opens, and only its reads fail: it is not an empty file).
// Reads a whole input file, up to json::kMaxBytes (the JSON reader's limit,
// 256 MB): past it the file is refused without reading on (a device such as
// /dev/zero never ends). A regular file's buffer is sized once.
/// The bytes of `path` into *text, or a status and *why (NOT_FOUND: cannot
/// read it; INVALID_ARGUMENT: over the input limit, or UTF-16).
Status try_read_file(const std::string& path, std::string* text, std::string* why) {
  text->clear();
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *why = "cannot read " + path + ": " + std::strerror(errno);
    return ELEX_E_NOT_FOUND;
  }
  constexpr std::size_t limit = json::kMaxBytes;
  const auto too_large = [&] {
    *why = path + ": more than " + std::to_string(limit) + " bytes (" +
           std::to_string(limit >> 20) + " MB), the limit of an input file";
    text->clear();
    return ELEX_E_INVALID_ARGUMENT;
  };
  struct stat st {};
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
    if (std::uint64_t(st.st_size) > limit) {
      std::fclose(f);
      return too_large();
    }
    text->reserve(std::size_t(st.st_size));
  }
  char buf[1 << 16];
  std::size_t n = 0;
  while (text->size() <= limit && (n = std::fread(buf, 1, sizeof buf, f)) > 0) text->append(buf, n);
  const int err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (err != 0) {
    *why = "cannot read " + path + ": " + std::strerror(err);
    text->clear();
    return ELEX_E_NOT_FOUND;
  }
  if (text->size() > limit) return too_large();
  // UTF-16 ("Unicode" in Windows editors) starts with the byte order mark FF FE
  // or FE FF, bytes that never begin UTF-8 text: refused for what it is (read as
  // UTF-8, a questions file became lines of U+FFFD and NULs, routed with exit 0).
  if (text->size() >= 2) {
    const auto b0 = std::uint8_t((*text)[0]), b1 = std::uint8_t((*text)[1]);
    if ((b0 == 0xFF && b1 == 0xFE) || (b0 == 0xFE && b1 == 0xFF)) {
      char mark[8];
      std::snprintf(mark, sizeof mark, "%02X %02X", b0, b1);
      *why = path + ": UTF-16 text (a byte order mark " + mark +
             "); elex-cli reads UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)";
      text->clear();
      return ELEX_E_INVALID_ARGUMENT;
    }
  }
  return ELEX_OK;
}

std::string read_file(const std::string& path) {
  std::string text, why;
  if (const Status st = try_read_file(path, &text, &why); st != ELEX_OK) die(st, why);
  return text;
}

struct Args {
  std::string command;
  std::map<std::string, std::string> opts;
  std::vector<std::string> files;
  bool has(const char* k) const { return opts.count(k) > 0; }
  std::string get(const char* k, const std::string& fallback = "") const {
    auto it = opts.find(k);
    return it == opts.end() ? fallback : it->second;
  }
  long number(const char* k, long fallback, long lo, long hi) const {
    if (!has(k)) return fallback;
    const std::string& s = opts.at(k);
    char* end = nullptr;
    const long v = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || v < lo || v > hi)
      usage("--" + std::string(k) + " must be an integer in " + std::to_string(lo) + ".." +
            std::to_string(hi) + ", got \"" + s + "\"");
    return v;
  }
};

Args parse_args(int argc, char** argv) {
  static const char* flags[] = {"no-default-glossary", "json",      "help",
                                "no-record",           "via-state", "terms"};
  static const char* valued[] = {"catalog",  "k",         "workers",     "worker",
                                 "question", "questions", "glossary",    "changes",
                                 "batch",    "z",         "min-history", "deadline-ms"};
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0) {
      const std::string name = s.substr(2);
      if (a.opts.count(name)) usage(s + " is given twice");
      bool known = false;
      for (const char* f : flags)
        if (name == f) a.opts[name] = "1", known = true;
      for (const char* v : valued)
        if (name == v) {
          if (i + 1 >= argc) usage("--" + name + " needs a value");
          a.opts[name] = argv[++i];
          known = true;
        }
      if (!known) usage("unknown option " + s);
    } else if (a.command.empty()) {
      a.command = s;
    } else {
      a.files.push_back(s);
    }
  }
  return a;
}

void append_problems(std::string* o, const std::vector<catalog::Problem>& problems) {
  *o += "[";
  for (std::size_t i = 0; i < problems.size(); ++i) {
    if (i) *o += ",";
    *o += "{\"path\":" + json::quote(problems[i].path) +
          ",\"message\":" + json::quote(problems[i].message) + "}";
  }
  *o += "]";
}

int cmd_check(const Args& a) {
  if (a.files.empty()) usage("check needs at least one catalog file");
  int rc = 0;
  for (const std::string& file : a.files) {
    // A file that cannot be read is said (on stderr, and as its line's
    // problem) and the others are still checked.
    std::string text, why;
    catalog::Catalog c;
    std::vector<catalog::Problem> problems;
    Status st = try_read_file(file, &text, &why);
    if (st != ELEX_OK) {
      std::fprintf(stderr, "elex-cli: %s: %s\n", elex_status_name(st), why.c_str());
      problems.push_back({"$", std::string(elex_status_name(st)) + ": " + why});
    } else {
      st = catalog::load_json(text, &c, &problems, file);
    }
    std::string o =
        "{\"file\":" + json::quote(file) + ",\"ok\":" + (st == ELEX_OK ? "true" : "false");
    o += ",\"problems\":";
    append_problems(&o, problems);
    if (st == ELEX_OK) {
      const catalog::Stats s = c.stats();
      o += ",\"stats\":{\"features\":" + std::to_string(s.features) +
           ",\"parameters\":" + std::to_string(s.parameters) +
           ",\"counters\":" + std::to_string(s.counters) + ",\"kpis\":" + std::to_string(s.kpis) +
           ",\"categories\":" + std::to_string(s.categories) + "}";
    } else {
      rc = 1;
    }
    o += "}\n";
    elex::cli::put(o);
  }
  return rc;
}

catalog::Catalog load_catalog(const Args& a);

/// A loaded catalog and its router, built as ts/host/ran-host.ts builds it.
struct Routing {
  catalog::Catalog cat;
  std::vector<std::pair<std::string, std::string>> glossary;
  std::vector<catalog::RouterItem> items;
  router::Router router;
};

std::unique_ptr<Routing> build_router(const Args& a) {
  if (a.has("glossary") && a.has("no-default-glossary"))
    usage(
        "--glossary FILE replaces the default glossary, --no-default-glossary leaves it out: "
        "give one");
  auto r = std::make_unique<Routing>();
  r->cat = load_catalog(a);
  if (!a.has("no-default-glossary")) {
    const std::string text =
        a.has("glossary") ? read_file(a.get("glossary")) : elex::cli::kDefaultGlossary;
    // An error names the user's glossary file (or says it is the default one).
    if (catalog::load_glossary(elex::utf8::without_bom(text), &r->glossary) != ELEX_OK)
      die(ELEX_E_INVALID_ARGUMENT,
          (a.has("glossary") ? a.get("glossary") : std::string("the default glossary")) + ": " +
              elex::last_error_message());
  }
  const long workers = a.number("workers", 1, 1, 1024);
  const long worker = a.number("worker", 0, 0, workers - 1);
  std::vector<std::uint8_t> hosted;
  for (const catalog::Feature& f : r->cat.features)
    hosted.push_back(catalog::shard_of(f.code, 16) % std::uint32_t(workers) ==
                     std::uint32_t(worker));
  router::Spec spec;  // dim 512, router::Weights{}: the browser's defaults
  catalog::router_spec(r->cat, r->glossary, hosted, &spec, &r->items);
  if (!a.has("via-state")) {
    if (Status st = r->router.build(spec); st != ELEX_OK) die(st, elex::last_error_message());
    return r;
  }
  // As a cached router: built, saved, and loaded into the one that routes.
  const auto ms = [](auto t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  router::Router built;
  auto t0 = std::chrono::steady_clock::now();
  if (Status st = built.build(spec); st != ELEX_OK) die(st, elex::last_error_message());
  const double build_ms = ms(t0);
  std::uint8_t* state = nullptr;
  std::size_t size = 0;
  t0 = std::chrono::steady_clock::now();
  if (Status st = built.save(&state, &size); st != ELEX_OK) die(st, elex::last_error_message());
  const double save_ms = ms(t0);
  t0 = std::chrono::steady_clock::now();
  const Status st = r->router.load(state, size);
  const double load_ms = ms(t0);
  std::free(state);
  if (st != ELEX_OK) die(st, elex::last_error_message());
  std::fprintf(stderr,
               "elex-cli: router build %.1f ms, save %.1f ms (%zu bytes), load %.1f ms, %zu bytes "
               "in memory\n",
               build_ms, save_ms, size, load_ms, r->router.bytes());
  return r;
}

/// `s` as the browser's TextDecoder reads bytes: valid UTF-8 as it is, each
/// maximal bad subsequence a U+FFFD (the WHATWG decoder). Question text from a
/// file or the command line may be in another encoding (Latin-1); the output
/// lines must stay UTF-8 JSON.
std::string well_formed(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const elex::utf8::Seq q = elex::utf8::decode(s.data() + i, s.size() - i);
    if (q.ok)
      out.append(s.substr(i, q.len));
    else
      elex::utf8::append(&out, q.cp);
    i += q.len;
  }
  return out;
}

/// UTF-16 length of valid UTF-8 (JavaScript's .length).
std::size_t utf16_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += ((c & 0xC0) != 0x80) + (c >= 0xF0);
  return n;
}

/// Whether `s` is all white space as JavaScript's String.prototype.trim()
/// sees it (ASCII, NBSP, the Unicode spaces, line separators, BOM).
bool blank(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const elex::utf8::Seq q = elex::utf8::decode(s.data() + i, s.size() - i);
    if (!elex::utf8::js_space(q.cp)) return false;
    i += q.len;
  }
  return true;
}

/// The browser's checkQuestion(): a non-empty string of at most 2,000 characters.
bool question_ok(const std::string& q, std::string* why) {
  if (blank(q)) {
    *why = "a question must be a non-empty string";
    return false;
  }
  if (utf16_length(q) > 2000) {
    *why = "a question must be at most 2000 characters, got " + std::to_string(utf16_length(q));
    return false;
  }
  return true;
}

struct Question {
  std::string q, code, split;
};

std::vector<Question> read_questions(const std::string& file) {
  const std::string file_text = read_file(file);
  // A UTF-8 byte order mark (Windows editors write one) is not part of the text.
  const std::string_view text = elex::utf8::without_bom(file_text);
  std::vector<Question> out;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) {
    json::Value doc;
    if (json::parse(text, &doc) != ELEX_OK)
      die(ELEX_E_INVALID_ARGUMENT, file + ": " + elex::last_error_message());
    const json::Value* list = doc.is_array() ? &doc : doc.find("questions");
    if (!list || !list->is_array())
      die(ELEX_E_INVALID_ARGUMENT,
          file + ": expected an array of questions or {\"questions\": [...]}");
    for (std::size_t i = 0; i < list->array().size(); ++i) {
      const json::Value& v = list->array()[i];
      Question q;
      const json::Value* text_v = v.is_string() ? &v : v.find("q");
      if (!text_v || !text_v->is_string())
        die(ELEX_E_INVALID_ARGUMENT,
            file + ": questions[" + std::to_string(i) + "] has no text (\"q\")");
      q.q = text_v->string();
      for (const char* k : {"code", "expected"})
        if (const json::Value* c = v.find(k); c && c->is_string()) q.code = c->string();
      for (const char* k : {"kind", "split"})
        if (const json::Value* s = v.find(k); s && s->is_string()) q.split = s->string();
      out.push_back(std::move(q));
    }
  } else {
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") != std::string::npos)
        out.push_back({well_formed(line), "", ""});
    }
  }
  return out;
}

const char* kind_name(router::ItemKind k) {
  switch (k) {
    case router::kFeature:
      return "feature";
    case router::kParameter:
      return "parameter";
    case router::kCounter:
      return "counter";
    case router::kKpi:
      return "kpi";
  }
  return "?";
}

std::string item_name(const Routing& r, std::uint32_t item) {
  const catalog::RouterItem& it = r.items.at(item);
  switch (it.kind) {
    case router::kFeature:
      return r.cat.features[it.index].code;
    case router::kParameter:
      return r.cat.parameters[it.index].name;
    case router::kCounter:
      return r.cat.counters[it.index].name;
    case router::kKpi:
      return r.cat.kpis[it.index].name;
  }
  return "";
}

void num(std::string* o, const char* key, double v, bool comma = true) {
  if (comma) *o += ",";
  *o += "\"";
  *o += key;
  *o += "\":";
  json::append_number(o, v);
}

/// Routed features as JSON: [{"code", "name", "score", "evidence", "matched"}].
void append_features(std::string* out, const Routing& r,
                     const std::vector<router::Routed>& routed) {
  std::string& o = *out;
  o += "[";
  for (std::size_t i = 0; i < routed.size(); ++i) {
    const router::Routed& f = routed[i];
    const catalog::Feature& feat = r.cat.features[f.feature];
    if (i) o += ",";
    o += "{\"code\":" + json::quote(feat.code) +
         ",\"name\":" + json::quote(feat.name.empty() ? feat.code : feat.name);
    num(&o, "score", f.score);
    o += ",\"evidence\":{";
    num(&o, "vector", f.vector, false);
    num(&o, "exact", f.exact);
    num(&o, "lexical", f.lexical);
    num(&o, "feedback", f.feedback);
    num(&o, "item", f.item);
    num(&o, "technology", f.technology);
    num(&o, "direction", f.direction);
    o += "},\"matched\":[";
    for (std::size_t m = 0; m < f.matched.size(); ++m) {
      const router::Match& mt = f.matched[m];
      if (m) o += ",";
      o += std::string("{\"kind\":\"") + kind_name(r.items.at(mt.item).kind) +
           "\",\"name\":" + json::quote(item_name(r, mt.item));
      num(&o, "score", mt.score);
      o += std::string(",\"exact\":") + (mt.exact ? "true" : "false") + "}";
    }
    o += "]}";
  }
  o += "]";
}

/// The questions of --question TEXT or --questions FILE (exactly one).
std::vector<Question> questions_of(const Args& a, const char* command) {
  if (a.has("question") == a.has("questions"))
    usage(std::string(command) + " needs --question TEXT or --questions FILE");
  if (a.has("question")) return {{well_formed(a.get("question")), "", ""}};
  return read_questions(a.get("questions"));
}

int cmd_route(const Args& a) {
  const std::vector<Question> qs = questions_of(a, "route");
  const std::uint32_t k = std::uint32_t(a.number("k", 5, 1, router::kMaxK));
  auto r = build_router(a);
  std::vector<router::Routed> routed;
  int rc = 0;
  for (const Question& q : qs) {
    std::string o = "{\"q\":" + json::quote(q.q);
    std::string why;
    if (!question_ok(q.q, &why) ||
        r->router.route(q.q.data(), q.q.size(), k, &routed, nullptr) != ELEX_OK) {
      if (why.empty()) why = elex::last_error_message();
      o += ",\"error\":{\"code\":\"INVALID_ARGUMENT\",\"message\":" + json::quote(why) + "}}\n";
      elex::cli::put(o);
      rc = 1;
      continue;
    }
    o += ",\"features\":";
    append_features(&o, *r, routed);
    if (a.has("terms")) {
      std::vector<std::pair<std::string, float>> terms;
      r->router.lexical().query_terms(q.q.data(), q.q.size(), &terms);
      o += ",\"terms\":[";
      for (std::size_t i = 0; i < terms.size(); ++i) {
        if (i) o += ",";
        o += "[" + json::quote(terms[i].first) + ",";
        json::append_number(&o, terms[i].second);
        o += "]";
      }
      o += "]";
    }
    o += "}\n";
    elex::cli::put(o);
  }
  return rc;
}

/// An item of a card: {"name", "unit"?, "description"?, "formula"? (KPI), "matched": true}.
void append_item(std::string* o, const Routing& r, std::uint32_t item) {
  const catalog::RouterItem& it = r.items.at(item);
  const auto text = [o](const char* key, const std::string& v) {
    if (!v.empty()) *o += std::string(",\"") + key + "\":" + json::quote(v);
  };
  *o += "{\"name\":" + json::quote(item_name(r, item));
  if (it.kind == router::kParameter) {
    text("unit", r.cat.parameters[it.index].unit);
    text("description", r.cat.parameters[it.index].description);
  } else if (it.kind == router::kCounter) {
    text("unit", r.cat.counters[it.index].unit);
    text("description", r.cat.counters[it.index].description);
  } else if (it.kind == router::kKpi) {
    text("formula", r.cat.kpis[it.index].formula);
    text("unit", r.cat.kpis[it.index].unit);
    text("description", r.cat.kpis[it.index].description);
  }
  *o += ",\"matched\":true}";
}

/// A feature card (answer.h) as the browser's FeatureCard.
void append_card(std::string* o, const Routing& r, const elex::ran::Card& c) {
  const catalog::Feature& f = r.cat.features.at(c.feature);
  *o += "{\"code\":" + json::quote(f.code);
  for (const auto& [key, v] : {std::pair<const char*, const std::string*>{"name", &f.name},
                               {"acronym", &f.acronym},
                               {"category", &f.category},
                               {"description", &f.description}})
    if (!v->empty()) *o += std::string(",\"") + key + "\":" + json::quote(*v);
  for (const auto& [key, kind] :
       {std::pair<const char*, router::ItemKind>{"parameters", router::kParameter},
        {"counters", router::kCounter},
        {"kpis", router::kKpi}}) {
    *o += std::string(",\"") + key + "\":[";
    bool first = true;
    for (std::uint32_t item : c.items)
      if (r.items.at(item).kind == kind) {
        if (!first) *o += ",";
        first = false;
        append_item(o, r, item);
      }
    *o += "]";
  }
  *o += ",\"totals\":{";
  num(o, "parameters", c.parameters, false);
  num(o, "counters", c.counters);
  num(o, "kpis", c.kpis);
  *o += "}}";
}

/// An agent's answer (answer.h) as the browser's AgentAnswer (no similarPast:
/// the native tool keeps no history of past questions).
void append_answer(std::string* o, const Routing& r, const elex::ran::Answer& a) {
  using elex::learn::Action;
  *o += std::string("{\"action\":\"") + elex::ran::action_name(a.action) + "\"";
  if (a.action == Action::DirectAnswer || a.action == Action::ContextAnswer) {
    *o += ",\"card\":";
    append_card(o, r, a.cards.at(0));
  }
  if (a.action == Action::ContextAnswer) {
    *o += ",\"related\":[";
    for (std::size_t i = 0; i < a.related.size(); ++i) {
      const catalog::Feature& f = r.cat.features.at(a.related[i]);
      *o += std::string(i ? "," : "") + "{\"code\":" + json::quote(f.code);
      if (!f.name.empty()) *o += ",\"name\":" + json::quote(f.name);
      *o += "}";
    }
    *o += "]";
  }
  if (a.action == Action::ConsultPeer) {
    *o += ",\"cards\":[";
    for (std::size_t i = 0; i < a.cards.size(); ++i) {
      if (i) *o += ",";
      append_card(o, r, a.cards[i]);
    }
    *o += "]";
  }
  if (a.action == Action::RequestClarification || a.action == Action::Escalate) {
    if (a.action == Action::Escalate)
      *o += ",\"flagged\":true,\"reason\":" + json::quote(a.reason ? a.reason : "");
    *o += ",\"candidates\":[";
    for (std::size_t i = 0; i < a.candidates.size(); ++i) {
      const catalog::Feature& f = r.cat.features.at(a.candidates[i].first);
      *o += std::string(i ? "," : "") + "{\"code\":" + json::quote(f.code);
      if (a.action == Action::RequestClarification && !f.name.empty())
        *o += ",\"name\":" + json::quote(f.name);
      num(o, "score", a.candidates[i].second);
      *o += "}";
    }
    *o += "]";
  }
  *o += "}";
}

int cmd_query(const Args& a) {
  const std::vector<Question> qs = questions_of(a, "query");
  const std::uint32_t k = std::uint32_t(a.number("k", 5, 1, router::kMaxK));
  double deadline = 500;
  if (a.has("deadline-ms")) {
    const std::string s = a.get("deadline-ms");
    char* end = nullptr;
    deadline = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !(deadline > 0) || !std::isfinite(deadline))
      usage("--deadline-ms must be a positive number, got \"" + s + "\"");
  }
  auto r = build_router(a);
  std::vector<std::string> codes;
  std::vector<std::vector<std::uint32_t>> deps;
  for (const catalog::Feature& f : r->cat.features) {
    codes.push_back(f.code);
    deps.emplace_back();
    for (const std::string& d : f.dependencies)
      if (auto it = r->cat.feature_index.find(d); it != r->cat.feature_index.end())
        deps.back().push_back(it->second);
  }
  elex::learn::AgentStore agents;
  elex::pipeline::Pipeline cycle(r->router, agents, codes, &deps);
  elex::pipeline::Options opt;
  opt.k = k;
  opt.deadline_ms = deadline;
  elex::pipeline::Result res;
  int rc = 0;
  std::uint64_t query_id = 0;
  for (const Question& q : qs) {
    std::string o = "{\"q\":" + json::quote(q.q);
    std::string why;
    if (!question_ok(q.q, &why) || cycle.run(q.q, ++query_id, opt, &res) != ELEX_OK) {
      if (why.empty()) why = elex::last_error_message();
      o += ",\"error\":{\"code\":\"INVALID_ARGUMENT\",\"message\":" + json::quote(why) + "}}\n";
      elex::cli::put(o);
      rc = 1;
      continue;
    }
    o += std::string(",\"type\":\"") + elex::ran::type_name(res.classified.type) +
         "\",\"complexity\":\"" + elex::ran::complexity_name(res.classified.complexity) +
         "\",\"features\":";
    append_features(&o, *r, res.features);
    o += ",\"action\":";
    if (res.replies.empty() || res.replies[0].candidate != 0)
      o += "null";
    else
      o += std::string("\"") + elex::ran::action_name(res.replies[0].decision.action) + "\"";
    o += ",\"agents\":[";
    for (std::size_t i = 0; i < res.replies.size(); ++i) {
      const elex::pipeline::Reply& rep = res.replies[i];
      if (i) o += ",";
      o += "{\"code\":" + json::quote(codes[res.features[rep.candidate].feature]) +
           ",\"action\":\"" + elex::ran::action_name(rep.decision.action) + "\"";
      num(&o, "confidence", rep.decision.confidence);
      o += std::string(",\"explored\":") + (rep.decision.explored ? "true" : "false");
      o += ",\"answer\":";
      append_answer(&o, *r, rep.answer);
      o += "}";
    }
    o += "],\"timings\":{";
    num(&o, "route", res.ms.route, false);
    num(&o, "classify", res.ms.classify);
    num(&o, "agents", res.ms.agents);
    num(&o, "answer", res.ms.answer);
    num(&o, "total", res.ms.total);
    o += std::string("},\"partial\":") + (res.partial ? "true" : "false") + "}\n";
    elex::cli::put(o);
  }
  return rc;
}

int cmd_eval(const Args& a) {
  if (!a.has("questions")) usage("eval needs --questions FILE");
  const std::uint32_t k = std::uint32_t(a.number("k", 5, 1, router::kMaxK));
  const std::string file = a.get("questions");
  const std::vector<Question> qs = read_questions(file);
  // An accuracy of no questions is no accuracy (an empty or wrong file).
  if (qs.empty()) die(ELEX_E_INVALID_ARGUMENT, file + ": no questions to evaluate");
  auto r = build_router(a);
  // A question expecting a feature the catalog lacks cannot be answered right:
  // an error, not a silent miss (a typo in a code, another catalog's questions).
  std::size_t unknown = 0, first_unknown = 0;
  for (std::size_t i = 0; i < qs.size(); ++i)
    if (!qs[i].code.empty() && !r->cat.feature_index.count(qs[i].code) && unknown++ == 0)
      first_unknown = i;
  if (unknown > 0)
    die(ELEX_E_NOT_FOUND, file + ": " + std::to_string(unknown) +
                              " question(s) expect a feature that is not in the catalog, e.g. "
                              "questions[" +
                              std::to_string(first_unknown) + "] " +
                              json::quote(qs[first_unknown].code));
  struct Tally {
    std::size_t n = 0, top1 = 0, topk = 0;
  };
  std::map<std::string, Tally> by;
  Tally all;
  std::vector<router::Routed> routed;
  for (std::size_t i = 0; i < qs.size(); ++i) {
    const Question& q = qs[i];
    if (q.code.empty())
      die(ELEX_E_INVALID_ARGUMENT,
          file + ": questions[" + std::to_string(i) + "] has no \"code\" or \"expected\"");
    std::string why;
    if (!question_ok(q.q, &why))
      die(ELEX_E_INVALID_ARGUMENT, file + ": questions[" + std::to_string(i) + "]: " + why);
    if (Status st = r->router.route(q.q.data(), q.q.size(), k, &routed, nullptr); st != ELEX_OK)
      die(st, elex::last_error_message());
    bool first = false, any = false;
    for (std::size_t j = 0; j < routed.size(); ++j)
      if (r->cat.features[routed[j].feature].code == q.code) (any = true, first = first || j == 0);
    // A question without a split counts in "all" only (it was a split "all" too, printed twice).
    for (Tally* x : {q.split.empty() ? nullptr : &by[q.split], &all}) {
      if (x == nullptr) continue;
      ++x->n;
      x->top1 += first;
      x->topk += any;
    }
  }
  const auto pct = [](std::size_t x, std::size_t n) {
    return n ? 100.0 * double(x) / double(n) : 0.0;
  };
  if (a.has("json")) {
    std::string o = "{\"k\":" + std::to_string(k) + ",\"splits\":{";
    bool first = true;
    for (const auto& [name, t] : by) {
      if (!first) o += ",";
      first = false;
      o += json::quote(name) + ":{\"n\":" + std::to_string(t.n) +
           ",\"top1\":" + std::to_string(t.top1) + ",\"topk\":" + std::to_string(t.topk) + "}";
    }
    o += "},\"all\":{\"n\":" + std::to_string(all.n) + ",\"top1\":" + std::to_string(all.top1) +
         ",\"topk\":" + std::to_string(all.topk) + "}}\n";
    elex::cli::put(o);
  } else {
    std::printf("%-14s %6s %8s %8s\n", "split", "n", "top-1", ("top-" + std::to_string(k)).c_str());
    for (const auto& [name, t] : by)
      std::printf("%-14s %6zu %7.1f%% %7.1f%%\n", name.c_str(), t.n, pct(t.top1, t.n),
                  pct(t.topk, t.n));
    std::printf("%-14s %6zu %7.1f%% %7.1f%%\n", "all", all.n, pct(all.top1, all.n),
                pct(all.topk, all.n));
  }
  return 0;
}

json::Value read_json(const std::string& file) {
  json::Value doc;
  // A UTF-8 byte order mark (Windows editors write one) is not part of the JSON,
  // as for a catalog or a questions file.
  const std::string text = read_file(file);
  if (json::parse(elex::utf8::without_bom(text), &doc) != ELEX_OK)
    die(ELEX_E_INVALID_ARGUMENT, file + ": " + elex::last_error_message());
  return doc;
}

catalog::Catalog load_catalog(const Args& a) {
  if (!a.has("catalog")) usage(a.command + " needs --catalog FILE");
  const std::string file = a.get("catalog");
  catalog::Catalog c;
  if (catalog::load_json(read_file(file), &c, nullptr, file) != ELEX_OK)
    die(ELEX_E_INVALID_ARGUMENT, elex::last_error_message());
  return c;
}

int cmd_validate(const Args& a) {
  if (!a.has("changes")) usage("validate needs --changes FILE");
  const catalog::Catalog c = load_catalog(a);
  return elex::cli::validate(c, read_json(a.get("changes")), a.get("changes"), !a.has("no-record"));
}

int cmd_monitor(const Args& a) {
  if (!a.has("batch")) usage("monitor needs --batch FILE");
  const catalog::Catalog c = load_catalog(a);
  double z = 3;
  if (a.has("z")) {
    const std::string s = a.get("z");
    char* end = nullptr;
    z = std::strtod(s.c_str(), &end);
    // As monitor()'s zThreshold in the browser: a finite number >= 0.
    if (s.empty() || *end != '\0' || !(z >= 0) || !std::isfinite(z))
      usage("--z must be a finite number >= 0, got \"" + s + "\"");
  }
  const long min_history = a.number("min-history", 8, 0, 4294967295L);
  return elex::cli::monitor(c, read_json(a.get("batch")), a.get("batch"), z, unsigned(min_history));
}

int run(const Args& a) {
  if (a.has("help") || a.command == "help") {
    elex::cli::put(kUsage);
    return 0;
  }
  if (a.command.empty()) usage("no command (check, route, query, eval, validate, monitor)");
  // Each command and the options it reads: another one was ignored without a word.
  struct Command {
    const char* name;
    int (*run)(const Args&);
    std::vector<std::string> options;
  };
  const std::vector<std::string> routing = {
      "catalog", "k", "workers", "worker", "glossary", "via-state", "no-default-glossary"};
  const auto with = [&](std::vector<std::string> more) {
    more.insert(more.end(), routing.begin(), routing.end());
    return more;
  };
  const Command commands[] = {{"check", cmd_check, {}},
                              {"route", cmd_route, with({"question", "questions", "terms"})},
                              {"query", cmd_query, with({"question", "questions", "deadline-ms"})},
                              {"eval", cmd_eval, with({"questions", "json"})},
                              {"validate", cmd_validate, {"catalog", "changes", "no-record"}},
                              {"monitor", cmd_monitor, {"catalog", "batch", "z", "min-history"}}};
  for (const Command& c : commands)
    if (a.command == c.name) {
      for (const auto& [option, value] : a.opts)
        if (std::find(c.options.begin(), c.options.end(), option) == c.options.end())
          usage(a.command + " does not take --" + option);
      // Only check takes operands: one given to another command was dropped.
      if (a.command != "check" && !a.files.empty())
        usage(a.command + " takes no operand, got \"" + a.files[0] + "\"");
      return c.run(a);
    }
  usage("unknown command \"" + a.command + "\" (check, route, query, eval, validate, monitor)");
}

}  // namespace

int main(int argc, char** argv) {
  const int rc = run(parse_args(argc, argv));
  // Output that did not reach its file (a full disk) is an error, not exit 0.
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    // The first failed write's errno (output larger than the buffer failed
    // before this flush), else the flush's.
    const int err = elex::cli::write_error() != 0 ? elex::cli::write_error() : errno;
    std::fprintf(stderr, "elex-cli: cannot write the output: %s\n",
                 err != 0 ? std::strerror(err) : "write error");
    return 1;
  }
  return rc;
}
