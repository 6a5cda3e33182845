// libFuzzer target: the lexical routing index (lexical.h) over hostile
// documents, glossary entries and questions: any bytes (invalid UTF-8, NUL,
// long runs), any document numbers and fields. Any input gives a status;
// after finish(), a search returns at most k hits, each a known document
// with a finite positive score, best first.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "elex/ran/lexical.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using elex::lexical::Index;
  Index index;
  std::size_t at = 0;
  // Records: [kind][doc][field][len][bytes…]; kind 0..2 add, 3 glossary, else question.
  std::vector<std::string> questions;
  while (at + 4 <= size) {
    const uint8_t kind = data[at], doc = data[at + 1], field = data[at + 2], len = data[at + 3];
    at += 4;
    const std::size_t n = std::min<std::size_t>(len, size - at);
    const char* text = reinterpret_cast<const char*>(data + at);
    at += n;
    if (kind % 5 <= 2) {
      (void)index.add(doc % 40, field % 9, text, n);  // fields 7 and 8 are refused
    } else if (kind % 5 == 3) {
      const std::size_t half = n / 2;
      (void)index.add_synonym(text, half, text + half, n - half);
    } else {
      questions.emplace_back(text, n);
    }
  }
  std::vector<elex::lexical::Hit> hits;
  if (index.search("x", 1, 5, &hits) == ELEX_OK) std::abort();  // not finished: refused
  if (index.finish() != ELEX_OK) std::abort();
  questions.emplace_back(reinterpret_cast<const char*>(data), std::min<std::size_t>(size, 512));
  for (const std::string& q : questions)
    for (const uint32_t k : {0u, 1u, 7u}) {
      if (index.search(q.data(), q.size(), k, &hits) != ELEX_OK) std::abort();
      if (hits.size() > k) std::abort();
      for (std::size_t i = 0; i < hits.size(); ++i) {
        if (hits[i].doc >= index.documents()) std::abort();
        if (!(hits[i].score > 0.0f) || !std::isfinite(hits[i].score)) std::abort();
        if (i > 0 && hits[i].score > hits[i - 1].score) std::abort();
      }
    }
  return 0;
}
