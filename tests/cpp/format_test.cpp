// The container format and the vector-set bytes: round trips, and every
// kind of damage is rejected with the documented status.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "elex/core/format.h"
#include "elex/core/parallel.h"
#include "elex/elex.h"
#include "elex/kernels/vectors.h"

using namespace elex;

namespace {

std::vector<std::uint8_t> encode(const std::vector<float>& v, std::uint32_t count,
                                 std::uint32_t dim) {
  std::uint8_t* bytes = nullptr;
  std::size_t size = 0;
  EXPECT_EQ(vectors::encode(v.data(), count, dim, &bytes, &size), ELEX_OK);
  std::vector<std::uint8_t> out(bytes, bytes + size);
  std::free(bytes);
  return out;
}

Status decode(const std::vector<std::uint8_t>& b, std::vector<float>* out = nullptr) {
  float* data = nullptr;
  std::uint32_t count = 0, dim = 0;
  const Status s = vectors::decode(b.data(), b.size(), &data, &count, &dim);
  if (s == ELEX_OK && out) out->assign(data, data + std::size_t(count) * dim);
  std::free(data);
  return s;
}

void refresh_crc(std::vector<std::uint8_t>& b) {
  const std::uint32_t c = format::crc32(b.data(), b.size() - 4);
  std::memcpy(b.data() + b.size() - 4, &c, 4);
}

}  // namespace

TEST(Format, Crc32MatchesTheStandardCheckValue) {
  const char* s = "123456789";
  EXPECT_EQ(format::crc32(reinterpret_cast<const std::uint8_t*>(s), 9), 0xCBF43926u);
}

TEST(Format, Crc32SliceBy8AgreesWithTheBytewiseDefinition) {
  std::vector<std::uint8_t> b(300);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = std::uint8_t(i * 131 + 7);
  for (std::size_t n = 0; n <= b.size(); ++n) {
    std::uint32_t c = 0xFFFFFFFFu;
    for (std::size_t i = 0; i < n; ++i) {
      c ^= b[i];
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    ASSERT_EQ(format::crc32(b.data(), n), ~c) << n;
    // Chaining: two calls equal one.
    ASSERT_EQ(format::crc32(b.data() + n / 3, n - n / 3, format::crc32(b.data(), n / 3)), ~c) << n;
  }
}

TEST(Format, VectorSetRoundTrips) {
  std::vector<float> v(3 * 5);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = float(i) * 0.25f - 1.0f;
  const auto bytes = encode(v, 3, 5);
  EXPECT_EQ(bytes.size() % 4, 0u);
  std::vector<float> back;
  ASSERT_EQ(decode(bytes, &back), ELEX_OK);
  EXPECT_EQ(back, v);
}

TEST(Format, EmptyVectorSetRoundTrips) {
  const auto bytes = encode({}, 0, 8);
  std::vector<float> back;
  ASSERT_EQ(decode(bytes, &back), ELEX_OK);
  EXPECT_TRUE(back.empty());
}

TEST(Format, RejectsForeignData) {
  EXPECT_EQ(decode({}), ELEX_E_FOREIGN_DATA);
  EXPECT_EQ(decode({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
            ELEX_E_FOREIGN_DATA);
}

TEST(Format, RejectsOtherVersionsAndKinds) {
  auto b = encode({1, 2}, 1, 2);
  auto v = b;
  v[4] = 99;
  refresh_crc(v);
  EXPECT_EQ(decode(v), ELEX_E_UNSUPPORTED_VERSION);
  auto k = b;
  k[6] = 42;
  refresh_crc(k);
  EXPECT_EQ(decode(k), ELEX_E_UNSUPPORTED_VERSION);
  // Versions 2 and 3 are an HNSW index's (format.h version_of); other kinds stay at 1.
  auto two = b;
  two[4] = 2;
  refresh_crc(two);
  EXPECT_EQ(decode(two), ELEX_E_UNSUPPORTED_VERSION);
}

TEST(Format, DataOfAnotherKindSaysWhichItIsNotThatItIsNewer) {
  // An index's bytes (IndexHandle.save(), kind 2 at version 3) given to
  // engine.loadIndex() (a sharded index, kind 3, read up to version 1) said
  // "data written by a newer ELEX needs that version to load".
  std::uint8_t* bytes = nullptr;
  std::size_t size = 0;
  const std::uint8_t payload[4] = {1, 2, 3, 4};
  const format::SectionIn sec{0x31313131u, payload, sizeof payload};
  ASSERT_EQ(format::write(format::ContainerKind::HnswIndex, &sec, 1, &bytes, &size), ELEX_OK);
  format::Reader r;
  EXPECT_EQ(r.open(bytes, size, format::ContainerKind::ShardedIndex), ELEX_E_UNSUPPORTED_VERSION);
  const std::string msg = last_error_message();
  EXPECT_EQ(msg.find("newer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("an index (IndexHandle.save())"), std::string::npos) << msg;
  EXPECT_NE(msg.find("a sharded index (EngineIndex.save())"), std::string::npos) << msg;
  std::free(bytes);
}

TEST(Format, IndexesAreWrittenAtVersionThreeAndVersionsOneAndTwoAreStillRead) {
  EXPECT_EQ(format::version_of(format::ContainerKind::HnswIndex), 3);
  EXPECT_EQ(format::version_of(format::ContainerKind::VectorSet), 1);
  const std::uint8_t payload[3] = {7, 8, 9};
  const format::SectionIn s{format::tag("DATA"), payload, 3};
  std::uint8_t* out = nullptr;
  std::size_t size = 0;
  ASSERT_EQ(format::write(format::ContainerKind::HnswIndex, &s, 1, &out, &size), ELEX_OK);
  std::vector<std::uint8_t> bytes(out, out + size);
  std::free(out);
  EXPECT_EQ(bytes[4], 3);
  for (std::uint8_t v : {1, 2, 3, 4}) {
    bytes[4] = v;
    refresh_crc(bytes);
    format::Reader r;
    const Status st = r.open(bytes.data(), bytes.size(), format::ContainerKind::HnswIndex);
    if (v <= 3) {
      ASSERT_EQ(st, ELEX_OK) << int(v);
      EXPECT_EQ(r.version(), v);
    } else {
      EXPECT_EQ(st, ELEX_E_UNSUPPORTED_VERSION);
      EXPECT_NE(std::string(last_error_message()).find("version 4"), std::string::npos)
          << last_error_message();
    }
  }
}

TEST(Format, Hash64IsXxh64) {
  // XXH64 reference values (seed 0).
  const auto h = [](const char* s) {
    return format::hash64(reinterpret_cast<const std::uint8_t*>(s), std::strlen(s));
  };
  EXPECT_EQ(h(""), 0xEF46DB3751D8E999ull);
  EXPECT_EQ(h("a"), 0xD24EC4F1A98C6E5Bull);
  EXPECT_EQ(h("abc"), 0x44BC2CF5AD770999ull);
  // Every length to 100 (the 32-byte lanes, then 8, 4 and 1 at a time):
  // each differs from the one a byte shorter and a flipped bit changes it.
  std::vector<std::uint8_t> b(100);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = std::uint8_t(i * 37 + 11);
  for (std::size_t n = 1; n <= b.size(); ++n) {
    const std::uint64_t x = format::hash64(b.data(), n);
    EXPECT_NE(x, format::hash64(b.data(), n - 1)) << n;
    for (std::size_t at = 0; at < n; at += 7) {
      auto c = b;
      c[at] ^= 0x10;
      EXPECT_NE(format::hash64(c.data(), n), x) << n << " " << at;
    }
  }
}

TEST(Format, RouterStateIsSealedWithHash32AndOthersWithTheCrc) {
  EXPECT_EQ(format::version_of(format::ContainerKind::RouterState), 2);
  EXPECT_EQ(format::checksum_of(format::ContainerKind::RouterState, 2), format::Checksum::Hash64);
  EXPECT_EQ(format::checksum_of(format::ContainerKind::RouterState, 1), format::Checksum::Crc32);
  EXPECT_EQ(format::checksum_of(format::ContainerKind::HnswIndex, 3), format::Checksum::Crc32);
  std::vector<std::uint8_t> payload(300);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = std::uint8_t(i * 13);
  const format::SectionIn s{format::tag("BODY"), payload.data(), payload.size()};
  std::uint8_t* out = nullptr;
  std::size_t size = 0;
  ASSERT_EQ(format::write(format::ContainerKind::RouterState, &s, 1, &out, &size), ELEX_OK);
  std::vector<std::uint8_t> b(out, out + size);
  std::free(out);
  std::uint32_t trailer;
  std::memcpy(&trailer, b.data() + size - 4, 4);
  EXPECT_EQ(trailer, format::hash32(b.data(), size - 4));
  format::Reader r;
  ASSERT_EQ(r.open(b.data(), size, format::ContainerKind::RouterState), ELEX_OK);
  for (std::size_t i = 0; i + 4 < size; ++i)
    for (int bit = 0; bit < 8; ++bit) {
      auto c = b;
      c[i] ^= std::uint8_t(1 << bit);
      EXPECT_NE(r.open(c.data(), size, format::ContainerKind::RouterState), ELEX_OK)
          << "byte " << i << " bit " << bit;
    }
  for (std::size_t n = 0; n < size; ++n)
    EXPECT_NE(r.open(b.data(), n, format::ContainerKind::RouterState), ELEX_OK) << n;
  // The CRC-32 as its trailer: corrupt.
  const std::uint32_t crc = format::crc32(b.data(), size - 4);
  std::memcpy(b.data() + size - 4, &crc, 4);
  EXPECT_EQ(r.open(b.data(), size, format::ContainerKind::RouterState), ELEX_E_CORRUPT_DATA);
}

TEST(Format, RejectsEverySingleBitFlip) {
  const auto b = encode({1, 2, 3, 4, 5, 6}, 2, 3);
  for (std::size_t i = 0; i < b.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto c = b;
      c[i] ^= std::uint8_t(1 << bit);
      EXPECT_NE(decode(c), ELEX_OK) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(Format, RejectsEveryTruncation) {
  const auto b = encode({1, 2, 3, 4, 5, 6}, 2, 3);
  for (std::size_t n = 0; n < b.size(); ++n) {
    std::vector<std::uint8_t> c(b.begin(), b.begin() + n);
    EXPECT_NE(decode(c), ELEX_OK) << n;
  }
}

TEST(Format, RejectsInconsistentMetadataEvenWithAValidChecksum) {
  auto b = encode({1, 2, 3, 4, 5, 6}, 2, 3);
  // META payload starts after the 16-byte header and 16-byte section header.
  const std::uint32_t huge = 0x40000000u;
  std::memcpy(b.data() + 32 + 4, &huge, 4);  // count
  refresh_crc(b);
  EXPECT_EQ(decode(b), ELEX_E_CORRUPT_DATA);
  std::memcpy(b.data() + 32 + 4, "\x02\0\0\0", 4);
  std::memcpy(b.data() + 32, "\0\0\0\0", 4);  // dim 0
  refresh_crc(b);
  EXPECT_EQ(decode(b), ELEX_E_CORRUPT_DATA);
}

TEST(Format, EncodeRejectsBadArguments) {
  std::uint8_t* out = nullptr;
  std::size_t size = 0;
  float x = 0;
  EXPECT_EQ(vectors::encode(&x, 1, 0, &out, &size), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(vectors::encode(nullptr, 1, 1, &out, &size), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(vectors::encode(&x, 1, vectors::kMaxDim + 1, &out, &size), ELEX_E_INVALID_ARGUMENT);
}

TEST(Format, Crc32CombineAndParallelAgreeWithOnePass) {
  std::vector<std::uint8_t> b((std::size_t{5} << 20) + 333);
  std::uint32_t x = 12345;
  for (auto& v : b) v = std::uint8_t((x = x * 1103515245u + 12345u) >> 24);
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{4096},
                        std::size_t{1} << 20, b.size()}) {
    const std::uint32_t whole = format::crc32(b.data(), n);
    for (std::size_t cut : {std::size_t{0}, n / 3, n})
      ASSERT_EQ(format::crc32_combine(format::crc32(b.data(), cut),
                                      format::crc32(b.data() + cut, n - cut), n - cut),
                whole)
          << n << " " << cut;
    for (unsigned threads : {1u, 2u, 3u}) {
      ThreadPool pool(threads);
      ASSERT_EQ(format::crc32_parallel(b.data(), n, &pool), whole) << n << " " << threads;
    }
    ASSERT_EQ(format::crc32_parallel(b.data(), n, nullptr), whole);
  }
}

TEST(Format, LayoutAndSealGiveTheBytesWriteGives) {
  const std::uint8_t a[5] = {1, 2, 3, 4, 5}, c[9] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
  const format::SectionIn in[2] = {{format::tag("AAAA"), a, 5}, {format::tag("CCCC"), c, 9}};
  std::uint8_t* w = nullptr;
  std::size_t wn = 0;
  ASSERT_EQ(format::write(format::ContainerKind::VectorSet, in, 2, &w, &wn), ELEX_OK);
  const std::uint32_t tags[2] = {format::tag("AAAA"), format::tag("CCCC")};
  const std::size_t sizes[2] = {5, 9};
  std::uint8_t* l = nullptr;
  std::uint8_t* payload[2];
  std::size_t ln = 0;
  ASSERT_EQ(format::layout(format::ContainerKind::VectorSet, tags, sizes, 2, &l, &ln, payload),
            ELEX_OK);
  std::memcpy(payload[0], a, 5);
  std::memcpy(payload[1], c, 9);
  ThreadPool pool(2);
  format::seal(l, ln, &pool);
  ASSERT_EQ(ln, wn);
  EXPECT_EQ(std::memcmp(l, w, wn), 0);
  format::Reader r;
  EXPECT_EQ(r.open(l, ln, format::ContainerKind::VectorSet, &pool), ELEX_OK);
  std::free(l);
  std::free(w);
}

TEST(Format, TheCAbiWritesAndReadsContainersOfEverySectionCount) {
  const auto* digits = reinterpret_cast<const std::uint8_t*>("123456789");
  EXPECT_EQ(elex_crc32(digits, 9), 0xCBF43926u);
  // A sharded index of 256 shards: a header and 256 sections (above the old
  // limit of 64), each payload one byte of the blob.
  std::vector<std::uint8_t> blob(257);
  std::vector<elex_container_section> in(257);
  for (std::uint32_t i = 0; i < 257; ++i) {
    blob[i] = std::uint8_t(i * 7);
    char t[5];
    std::snprintf(t, sizeof t, "S%03u", i);
    in[i] = {format::tag(t), 0, double(i), 1};
  }
  std::uint8_t* bytes = nullptr;
  std::size_t size = 0;
  ASSERT_EQ(elex_container_write(3, blob.data(), blob.size(), in.data(), 257, &bytes, &size),
            ELEX_OK);
  std::vector<elex_container_section> out(257);
  std::uint32_t count = 0;
  ASSERT_EQ(elex_container_read(bytes, size, 3, out.data(), 257, &count), ELEX_OK);
  ASSERT_EQ(count, 257u);
  for (std::uint32_t i = 0; i < 257; ++i) {
    EXPECT_EQ(out[i].tag, in[i].tag);
    EXPECT_EQ(out[i].size, 1);
    EXPECT_EQ(bytes[std::size_t(out[i].offset)], blob[i]);
  }
  EXPECT_EQ(elex_container_read(bytes, size, 3, out.data(), 256, &count),
            ELEX_E_INVALID_ARGUMENT);  // no room
  EXPECT_EQ(elex_container_read(bytes, size, 4, out.data(), 257, &count),
            ELEX_E_UNSUPPORTED_VERSION);  // another kind
  bytes[size / 2] ^= 1;
  EXPECT_EQ(elex_container_read(bytes, size, 3, out.data(), 257, &count), ELEX_E_CORRUPT_DATA);
  elex_free(bytes);
  // A section outside the blob, an unknown kind.
  in[0].offset = 300;
  EXPECT_EQ(elex_container_write(3, blob.data(), blob.size(), in.data(), 1, &bytes, &size),
            ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(elex_container_write(9, blob.data(), blob.size(), in.data(), 0, &bytes, &size),
            ELEX_E_INVALID_ARGUMENT);
}
