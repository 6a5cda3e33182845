// elex/core/format.h — the one binary container every ELEX byte format uses.
//
// Layout, all integers little-endian:
//
//   offset  size  field
//   0       4     magic "ELEX"
//   4       2     format version (version_of(kind): 1, or 3 for HnswIndex)
//   6       2     kind (what the payload is: ContainerKind)
//   8       4     section count
//   12      4     flags (0; readers reject unknown flags)
//   16      ...   sections, each:
//                   u32 tag (four ASCII bytes, e.g. "META")
//                   u32 reserved (0)
//                   u64 payload length L
//                   L bytes payload, then zero padding to a multiple of 8
//   end-4   4     CRC-32 (IEEE 802.3) of every preceding byte
//
// A reader rejects, in this order: too short or wrong magic
// (ELEX_E_FOREIGN_DATA), a kind it does not read or a version newer than
// version_of(kind) (ELEX_E_UNSUPPORTED_VERSION), a bad checksum, sections that overrun the
// buffer, duplicate tags or non-zero reserved fields (ELEX_E_CORRUPT_DATA).
// It never reads outside the buffer it is given.
#ifndef ELEX_FORMAT_H
#define ELEX_FORMAT_H

#include <cstddef>
#include <cstdint>

#include "elex/core/status.h"

namespace elex {
class ThreadPool;
}

namespace elex::format {

/// The version every kind started at; older versions of a kind stay readable.
inline constexpr std::uint16_t kFormatVersion = 1;
inline constexpr std::size_t kHeaderBytes = 16;
inline constexpr std::size_t kSectionHeaderBytes = 16;
inline constexpr std::size_t kTrailerBytes = 4;
/// A sharded index holds one section per shard (up to 256) and a header.
inline constexpr unsigned kMaxSections = 1024;

/// What a container holds (its header's kind).
/// @ts CONTAINER_KIND names
enum class ContainerKind : std::uint16_t {
  VectorSet = 1,      ///< dense f32 vectors (vectors.h)
  HnswIndex = 2,      ///< an HNSW index (hnsw.h)
  ShardedIndex = 3,   ///< a sharded index: a section per shard (ts/api/engine-index.ts)
  AgentSnapshot = 4,  ///< learned agent state (elex.h: elex_agents_snapshot)
  RouterState = 5,    ///< a built router, to skip its build (router.h: Router::save)
};

/// The version written for `kind`. HnswIndex is at 3: version 2 gave int8
/// nodes their own code factor, version 3 added quantization Int8Res4
/// (hnsw_io.cpp); versions 1 and 2 are still read.
constexpr std::uint16_t version_of(ContainerKind kind) {
  return kind == ContainerKind::HnswIndex ? 3 : kFormatVersion;
}

/// A section tag from four ASCII characters.
constexpr std::uint32_t tag(const char (&s)[5]) {
  return std::uint32_t(std::uint8_t(s[0])) | std::uint32_t(std::uint8_t(s[1])) << 8 |
         std::uint32_t(std::uint8_t(s[2])) << 16 | std::uint32_t(std::uint8_t(s[3])) << 24;
}

/// CRC-32 (IEEE, reflected, init and final xor 0xFFFFFFFF) of `n` bytes.
std::uint32_t crc32(const std::uint8_t* data, std::size_t n, std::uint32_t crc = 0);

/// The CRC-32 of A followed by B from crc32(A), crc32(B) and B's length
/// (multiplication by x^(8·len_b) modulo the polynomial, O(log len_b)).
std::uint32_t crc32_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::size_t len_b);

/// crc32(data, n) computed in slices on `pool`'s threads and combined
/// (the same value; serial when pool is null or n is small).
std::uint32_t crc32_parallel(const std::uint8_t* data, std::size_t n, ThreadPool* pool);

/// A section payload to write.
struct SectionIn {
  std::uint32_t tag;
  const void* data;
  std::size_t size;
};

/// Writes a container holding `sections` into a new malloc'ed buffer
/// (*out, *out_size; the caller frees it with std::free).
[[nodiscard]] Status write(ContainerKind kind, const SectionIn* sections, unsigned count,
                           std::uint8_t** out, std::size_t* out_size);

/// Lays out a container with `count` sections of the given tags and sizes
/// in a new malloc'ed buffer (*out, *out_size; freed with std::free):
/// header, section headers and padding written, payloads[i] pointing where
/// section i's bytes go. The caller fills the payloads, then calls seal().
[[nodiscard]] Status layout(ContainerKind kind, const std::uint32_t* tags, const std::size_t* sizes,
                            unsigned count, std::uint8_t** out, std::size_t* out_size,
                            std::uint8_t** payloads);

/// Writes the checksum trailer of a laid-out container (threads of `pool`, if any).
void seal(std::uint8_t* buf, std::size_t size, ThreadPool* pool = nullptr);

/// A parsed container: views into the caller's buffer, valid while it lives.
class Reader {
 public:
  /// Parses and verifies `bytes`; see the header comment for what it rejects.
  /// The checksum is computed on `pool`'s threads when one is given.
  [[nodiscard]] Status open(const std::uint8_t* bytes, std::size_t size, ContainerKind kind,
                            ThreadPool* pool = nullptr);

  /// The payload of the section tagged `t`, or nullptr (and *size = 0).
  const std::uint8_t* section(std::uint32_t t, std::size_t* size) const;
  /// Section i (0..count()-1) in the order written: its tag, size and payload.
  const std::uint8_t* section_at(unsigned i, std::uint32_t* tag, std::size_t* size) const;
  /// Sections in the data opened.
  unsigned count() const { return count_; }
  /// The format version of the data opened (1..version_of(kind)).
  std::uint16_t version() const { return version_; }

 private:
  // The section headers are read again from the verified bytes on each
  // lookup: no table (a container may hold kMaxSections sections).
  const std::uint8_t* bytes_ = nullptr;
  unsigned count_ = 0;
  std::uint16_t version_ = 0;
};

}  // namespace elex::format

#endif  // ELEX_FORMAT_H
