// KPI formulas (formula.h): the grammar and postfix order of ts/host/formula.ts,
// and programs as compileFormula() lays them out. The TypeScript and C++
// compilers are compared on the default catalog and hostile formulas in
// tests/ts/python-parity.test.ts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "elex/ran/formula.h"
#include "elex/ran/monitor.h"

namespace {

using elex::formula::Step;

std::string postfix(const std::string& f) {
  std::vector<Step> steps;
  if (elex::formula::parse(f, &steps) != ELEX_OK) return "error";
  std::string out;
  for (const Step& s : steps) {
    if (!out.empty()) out += ' ';
    switch (s.kind) {
      case Step::kNumber: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", s.number);
        out += buf;
        break;
      }
      case Step::kCounter:
        out += std::string(s.name);
        break;
      case Step::kAdd:
        out += '+';
        break;
      case Step::kSub:
        out += '-';
        break;
      case Step::kMul:
        out += '*';
        break;
      case Step::kDiv:
        out += '/';
        break;
      case Step::kNeg:
        out += "neg";
        break;
    }
  }
  return out;
}

TEST(Formula, PrecedenceAssociativityAndUnaryMinus) {
  EXPECT_EQ(postfix("100 * A.succ / A.att"), "100 A.succ * A.att /");
  EXPECT_EQ(postfix("a - b - c"), "a b - c -");
  EXPECT_EQ(postfix("a - b * c + d / e"), "a b c * - d e / +");
  EXPECT_EQ(postfix("-a * b"), "a neg b *");
  EXPECT_EQ(postfix("a * -b"), "a b neg *");
  EXPECT_EQ(postfix("- -a"), "a neg neg");
  EXPECT_EQ(postfix("a/-(b+c)*2"), "a b c + neg / 2 *");
  EXPECT_EQ(postfix("1.5e-3 + 1E+5"), "0.0015 100000 +");
  EXPECT_EQ(postfix("a\xc2\xa0+\xe3\x80\x80"
                    "b"),
            "a b +");  // JavaScript \\s: U+00A0, U+3000
}

TEST(Formula, RejectsWhatTheCatalogCheckRejects) {
  for (const char* f : {"", " ", "+a", "a+", "(a", "a)", "()", "a b", "1 2", "(a)(b)", "1.", ".5",
                        "a$b", "\xc3\xa4+b", "a\xe2\x80\x8b+b", "9a"})
    EXPECT_EQ(postfix(f), "error") << f;
}

TEST(Formula, CompilesToMonitorOpsAndKeepsConstantsOfSkippedKpis) {
  const auto lookup = [](void*, std::string_view name, std::uint32_t* col) {
    if (name == "x") return (*col = 0), true;
    if (name == "y") return (*col = 1), true;
    return false;
  };
  std::vector<std::int32_t> ops;
  std::vector<float> consts;
  bool ok = false;
  ASSERT_EQ(elex::formula::compile("100 * y / x", lookup, nullptr, &ops, &consts, &ok), ELEX_OK);
  EXPECT_TRUE(ok);
  using namespace elex::monitor;
  EXPECT_EQ(ops, (std::vector<std::int32_t>{kConst | (0 << 8), kPush | (1 << 8), kMul,
                                            kPush | (0 << 8), kDiv}));
  ASSERT_EQ(elex::formula::compile("2 * z + 3", lookup, nullptr, &ops, &consts, &ok), ELEX_OK);
  EXPECT_FALSE(ok);
  EXPECT_EQ(ops.size(), 5u);                              // unchanged
  EXPECT_EQ(consts, (std::vector<float>{100.0f, 2.0f}));  // 2 kept, as compileFormula() does
  ASSERT_EQ(elex::formula::compile("0.1", lookup, nullptr, &ops, &consts, &ok), ELEX_OK);
  EXPECT_EQ(consts.back(), 0.1f);
  EXPECT_EQ(elex::formula::compile("x +", lookup, nullptr, &ops, &consts, &ok),
            ELEX_E_INVALID_ARGUMENT);
}

}  // namespace
