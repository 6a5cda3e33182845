// The strict JSON reader (json.h): grammar, UTF-8, limits, paths in errors.
#include <gtest/gtest.h>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "elex/core/json.h"
#include "elex/core/utf8.h"

using elex::json::parse;
using elex::json::Value;

namespace {

Value ok(const std::string& text) {
  Value v;
  EXPECT_EQ(parse(text, &v), ELEX_OK) << text << ": " << elex::last_error_message();
  return v;
}

/// The path and message of a refusal.
std::pair<std::string, std::string> refused(const std::string& text) {
  Value v = Value::of_number(1);
  std::string path;
  EXPECT_EQ(parse(text, &v, &path), ELEX_E_INVALID_ARGUMENT) << text;
  EXPECT_TRUE(v.is_null());
  return {path, elex::last_error_message()};
}

// The shared decoder (utf8.h): code points of well-formed sequences, and the
// maximal subpart of a malformed one (what TextDecoder replaces by U+FFFD).
TEST(Utf8, DecodesAndTakesMaximalSubparts) {
  const auto d = [](const std::string& s) { return elex::utf8::decode(s.data(), s.size()); };
  const auto is = [](elex::utf8::Seq q, std::uint32_t cp, std::size_t len, bool ok) {
    return q.cp == cp && q.len == len && q.ok == ok;
  };
  EXPECT_TRUE(is(d("a"), 'a', 1, true));
  EXPECT_TRUE(is(d("\xC3\xA9"), 0xE9, 2, true));
  EXPECT_TRUE(is(d("\xE7\x9C\x81"), 0x7701, 3, true));
  EXPECT_TRUE(is(d("\xF0\x9F\x98\x80"), 0x1F600, 4, true));
  EXPECT_TRUE(is(d("\xC0\xAF"), 0xFFFD, 1, false));          // overlong lead
  EXPECT_TRUE(is(d("\xE0\x80\x80"), 0xFFFD, 1, false));      // overlong
  EXPECT_TRUE(is(d("\xED\xA0\x80"), 0xFFFD, 1, false));      // surrogate
  EXPECT_TRUE(is(d("\xF4\x90\x80\x80"), 0xFFFD, 1, false));  // past U+10FFFF
  EXPECT_TRUE(is(d("\xE7\x9C"), 0xFFFD, 2, false));          // cut short: both bytes
  EXPECT_TRUE(is(d("\xE7\x9Cx"), 0xFFFD, 2, false));
  EXPECT_TRUE(is(d("\x80"), 0xFFFD, 1, false));
  std::string o;
  for (const std::uint32_t cp : {0x41u, 0xE9u, 0x7701u, 0x1F600u}) elex::utf8::append(&o, cp);
  EXPECT_EQ(o, "A\xC3\xA9\xE7\x9C\x81\xF0\x9F\x98\x80");
  EXPECT_TRUE(elex::utf8::js_space(0xA0) && elex::utf8::js_space(0x3000) &&
              !elex::utf8::js_space(0xFFFD));
}

}  // namespace

TEST(Json, ReadsEveryKindOfValue) {
  const Value v =
      ok(R"( {"a": [1, -2.5e3, true, false, null], "b": {"c": "d\u00e9\n"}, "e": ""} )");
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(v.object().size(), 3u);
  const Value* a = v.find("a");
  ASSERT_TRUE(a && a->is_array());
  EXPECT_EQ(a->array()[0].number(), 1);
  EXPECT_EQ(a->array()[1].number(), -2500);
  EXPECT_TRUE(a->array()[2].boolean());
  EXPECT_FALSE(a->array()[3].boolean());
  EXPECT_TRUE(a->array()[4].is_null());
  EXPECT_EQ(v.find("b")->find("c")->string(), "d\xC3\xA9\n");
  EXPECT_EQ(v.find("e")->string(), "");
  EXPECT_EQ(v.find("zz"), nullptr);
}

TEST(Json, NumbersAsJsonParseReadsThem) {
  EXPECT_EQ(ok("0.1").number(), 0.1);
  EXPECT_EQ(ok("1e400").number(), INFINITY);
  EXPECT_EQ(ok("-1e400").number(), -INFINITY);
  EXPECT_EQ(ok("1e-400").number(), 0.0);
  EXPECT_EQ(ok("123456789012345678901234567890").number(), 1.2345678901234568e29);
  for (const char* bad : {"01", "1.", ".5", "+1", "1e", "-", "NaN", "Infinity", "0x10", "1.e5"})
    refused(bad);
  EXPECT_NE(refused(std::string(2000, '9')).second.find("longer than 1024"), std::string::npos);
}

TEST(Json, StringsMustBeValidUnicode) {
  EXPECT_EQ(ok(R"("\ud83d\ude00")").string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(ok(R"("\ud83d\ude00")").utf16_length(), 2u);
  EXPECT_EQ(ok("\"\xE2\x82\xAC\"").utf16_length(), 1u);
  for (const char* bad : {"\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83dx\"", "\"\xC0\xAF\"",
                          "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xFF\"", "\"\xE2\x82\"",
                          "\"a\tb\"", "\"\\x\"", "\"\\u12G4\"", "\"abc"})
    refused(bad);
}

TEST(Json, RefusesWhatJsonDoesNotAllow) {
  for (const char* bad : {"", " ", "[1,]", "{\"a\":1,}", "[1 2]", "{a:1}", "{\"a\" 1}", "// x\n1",
                          "1 2", "tru", "nul", "[", "{", "{\"a\":"})
    refused(bad);
}

TEST(Json, DuplicateKeysAreRefusedWithTheirPath) {
  auto [path, msg] = refused(R"({"features": [{"code": "A", "name": "x", "code": "B"}]})");
  EXPECT_EQ(path, "$.features[0].code");
  EXPECT_NE(msg.find("duplicate member name"), std::string::npos);
  // Past the small-object scan: many keys.
  std::string many = "{";
  for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  many += "\"k7\":0}";
  EXPECT_EQ(refused(many).first, "$.k7");
}

TEST(Json, DepthIsLimited) {
  std::string deep(elex::json::kMaxDepth, '[');
  deep += std::string(elex::json::kMaxDepth, ']');
  ok(deep);
  std::string deeper(elex::json::kMaxDepth + 1, '[');
  deeper += std::string(elex::json::kMaxDepth + 1, ']');
  EXPECT_NE(refused(deeper).second.find("nested too deep"), std::string::npos);
  refused(std::string(100000, '['));
}

TEST(Json, ErrorsSayWhere) {
  auto [path, msg] = refused("{\"a\": [1, 2,\n  x]}");
  EXPECT_EQ(path, "$.a[2]");
  EXPECT_NE(msg.find("line 2, column 3"), std::string::npos) << msg;
  EXPECT_EQ(refused(R"({"a b": [tru]})").first, R"($["a b"][0])");
  // Keys longer than a short string, in a tree freed on failure (the path
  // is read first: ASan found it read after the free).
  EXPECT_EQ(
      refused(R"({"a_key_longer_than_a_short_string": {"another_long_key_name_here": [1, x]}})")
          .first,
      "$.a_key_longer_than_a_short_string.another_long_key_name_here[1]");
}

TEST(Json, QuoteAndNumbersRoundTrip) {
  EXPECT_EQ(elex::json::quote("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
  for (double d : {0.0, 1.0, -3.0, 0.1, 1.0 / 3, 1e300, 5e-324, 9007199254740993.0}) {
    std::string s;
    elex::json::append_number(&s, d);
    EXPECT_EQ(ok(s).number(), d) << s;
  }
  std::string s;
  elex::json::append_number(&s, NAN);
  EXPECT_EQ(s, "null");
}

// A document of numbers (elex-cli monitor: cells × counters × periods samples,
// tens of millions) was held at 96 bytes a number, and its largest array
// twice at the end of the parse: a 180 MB batch took 6 GB.
TEST(Json, ANumberCostsSixteenBytes) {
  EXPECT_LE(sizeof(Value), 16u);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  constexpr std::size_t n = 200000;
  std::string text = "{\"data\":[";
  for (std::size_t i = 0; i < n; ++i) text += (i ? ",1.5" : "1.5");
  text += "]}";
  const auto held = [] {
    const struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
  };
  const std::size_t before = held();
  Value v;
  ASSERT_EQ(parse(text, &v), ELEX_OK);
  const std::size_t after = held();
  ASSERT_EQ(v.find("data")->array().size(), n);
  // 16 bytes a number, and up to as many again of the growing array's spare room.
  EXPECT_LE(after - before, 32 * n) << (after - before) / n << " bytes a number";
#endif
}

TEST(Json, ValuesCopyDeeplyAndMoveOut) {
  Value a = ok(R"({"s":"text long enough to be on the heap","a":[1,[2,{"b":true}]],"n":2})");
  Value b = a;
  Value c = std::move(a);
  EXPECT_TRUE(a.is_null());  // NOLINT(bugprone-use-after-move): moved out on purpose
  b = b;                     // self-assignment keeps it
  c = Value::of_number(3);
  ASSERT_TRUE(b.is_object());
  EXPECT_EQ(b.find("s")->string(), "text long enough to be on the heap");
  EXPECT_EQ(b.find("a")->array()[1].array()[1].find("b")->boolean(), true);
  EXPECT_EQ(b.find("n")->number(), 2);
  EXPECT_EQ(c.number(), 3);
  // What is not of a kind reads as that kind's empty value.
  EXPECT_EQ(c.string(), "");
  EXPECT_TRUE(c.array().empty());
  EXPECT_TRUE(b.object().size() == 3 && c.object().empty());
  EXPECT_EQ(b.find("s")->number(), 0);
}

// append_number() looked for the shortest form that reads back by printing
// with 1, 2, … 17 digits and reading each back: a float's value (a KPI mean)
// needs 9 to 17, so up to 34 calls a number, 80 % of elex-cli monitor's time
// on 250,000 cells (9 s). The same text now, from one print.
TEST(Json, NumbersAreWrittenAsBeforeInOnePrint) {
  const auto loop = [](double d) {
    std::string out;
    if (!std::isfinite(d)) return std::string("null");
    char b[40];
    if (d == std::floor(d) && std::fabs(d) <= 9007199254740992.0) {
      std::snprintf(b, sizeof b, "%.0f", d);
      return std::string(std::strcmp(b, "-0") == 0 ? "0" : b);
    }
    for (int prec = 1; prec <= 17; ++prec) {
      std::snprintf(b, sizeof b, "%.*g", prec, d);
      if (std::strtod(b, nullptr) == d) break;
    }
    return std::string(b);
  };
  std::mt19937_64 rng(7);
  std::vector<double> xs = {0.1,
                            -0.3,
                            1.5e25,
                            1e21,
                            1e-7,
                            123456.789,
                            5e-324,
                            1.7976931348623157e308,
                            0.9599999785423279,
                            -2.5,
                            9007199254740993.0,
                            1e300 * 10,
                            -0.0};
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    xs.push_back(d);  // any double
    xs.push_back(
        double(float(std::ldexp(double(rng() % 1000000), -int(rng() % 40)))));  // a float's value
  }
  for (double d : xs) {
    std::string got;
    elex::json::append_number(&got, d);
    ASSERT_EQ(got, loop(d)) << d;
  }
  // The cost of a number: about one print, against 17-digit prints in the same run.
  std::vector<double> floats;
  for (int i = 0; i < 100000; ++i) floats.push_back(double(float(1.0 / (3 + i))));
  const auto time = [&](auto&& f) {  // the best of three: a busy machine only adds
    double best = 1e9;
    for (int rep = 0; rep < 3; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      f();
      best = std::min(best,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
  };
  std::string sink;
  const double ours = time([&] {
    for (double d : floats) elex::json::append_number(&sink, d);
  });
  const double prints = time([&] {
    char b[40];
    for (double d : floats) sink.append(b, std::size_t(std::snprintf(b, sizeof b, "%.17g", d)));
  });
  EXPECT_LT(ours, 4 * prints) << ours << " s against " << prints << " s for one print each";
}
