// The ELEX binary container (see format.h).
#include "elex/core/format.h"

#include <cstdlib>
#include <cstring>

#include "elex/core/parallel.h"

namespace elex::format {

namespace {

constexpr std::uint8_t kMagic[4] = {'E', 'L', 'E', 'X'};

// Slice-by-8 tables: t[0] is the classic byte table; t[k][i] is the CRC of
// byte i followed by k zero bytes, so eight bytes fold in per step.
struct CrcTable {
  std::uint32_t t[8][256];
  constexpr CrcTable() : t() {
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (std::uint32_t i = 0; i < 256; ++i)
      for (int k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
  }
};
constexpr CrcTable kCrc;

std::uint16_t rd16(const std::uint8_t* p) { return std::uint16_t(p[0] | p[1] << 8); }
std::uint32_t rd32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
         std::uint32_t(p[3]) << 24;
}
std::uint64_t rd64(const std::uint8_t* p) { return rd32(p) | std::uint64_t(rd32(p + 4)) << 32; }
void wr16(std::uint8_t* p, std::uint16_t v) {
  p[0] = std::uint8_t(v);
  p[1] = std::uint8_t(v >> 8);
}
void wr32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = std::uint8_t(v >> (8 * i));
}
void wr64(std::uint8_t* p, std::uint64_t v) {
  wr32(p, std::uint32_t(v));
  wr32(p + 4, std::uint32_t(v >> 32));
}
constexpr std::size_t pad8(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

}  // namespace

std::uint32_t crc32(const std::uint8_t* data, std::size_t n, std::uint32_t crc) {
  crc = ~crc;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const std::uint32_t lo = rd32(data + i) ^ crc, hi = rd32(data + i + 4);
    crc = kCrc.t[7][lo & 0xFF] ^ kCrc.t[6][(lo >> 8) & 0xFF] ^ kCrc.t[5][(lo >> 16) & 0xFF] ^
          kCrc.t[4][lo >> 24] ^ kCrc.t[3][hi & 0xFF] ^ kCrc.t[2][(hi >> 8) & 0xFF] ^
          kCrc.t[1][(hi >> 16) & 0xFF] ^ kCrc.t[0][hi >> 24];
  }
  for (; i < n; ++i) crc = kCrc.t[0][(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

namespace {

constexpr std::uint32_t kPoly = 0xEDB88320u;

/// a·b modulo the CRC polynomial (reflected bit order: bit 31 is x^0).
std::uint32_t multmodp(std::uint32_t a, std::uint32_t b) {
  std::uint32_t p = 0;
  for (std::uint32_t m = 1u << 31; m != 0; m >>= 1) {
    if (a & m) p ^= b;
    b = (b & 1) ? (b >> 1) ^ kPoly : b >> 1;
  }
  return p;
}

/// x^(2^k) modulo the polynomial, k = 0..63.
struct X2n {
  std::uint32_t t[64];
  constexpr X2n() : t() {
    std::uint32_t p = 1u << 30;  // x^1
    for (auto& v : t) {
      v = p;
      // p = p·p, written out so the table stays constexpr.
      std::uint32_t r = 0, b = p;
      for (std::uint32_t m = 1u << 31; m != 0; m >>= 1) {
        if (p & m) r ^= b;
        b = (b & 1) ? (b >> 1) ^ kPoly : b >> 1;
      }
      p = r;
    }
  }
};
constexpr X2n kX2n;

}  // namespace

std::uint32_t crc32_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::size_t len_b) {
  // crc(A·B) = crc(A)·x^(8·len_b) + crc(B) (the pre/post inversions cancel).
  std::uint32_t p = 1u << 31;  // x^0
  std::uint64_t n = std::uint64_t(len_b);
  for (unsigned k = 3; n != 0; n >>= 1, ++k)
    if (n & 1) p = multmodp(kX2n.t[k & 63], p);
  return multmodp(p, crc_a) ^ crc_b;
}

std::uint32_t crc32_parallel(const std::uint8_t* data, std::size_t n, ThreadPool* pool) {
  constexpr std::size_t kMinSlice = std::size_t{1} << 20, kMaxSlices = 256;
  if (pool == nullptr || pool->size() < 2 || n < 2 * kMinSlice) return crc32(data, n);
  std::size_t kSlice = kMinSlice;
  while ((n + kSlice - 1) / kSlice > kMaxSlices) kSlice *= 2;
  const std::size_t slices = (n + kSlice - 1) / kSlice;
  std::uint32_t part[kMaxSlices];
  pool->parallel_for(slices, 1, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      const std::size_t at = i * kSlice;
      part[i] = crc32(data + at, n - at < kSlice ? n - at : kSlice);
    }
  });
  std::uint32_t crc = part[0];
  for (std::size_t i = 1; i < slices; ++i)
    crc = crc32_combine(crc, part[i], n - i * kSlice < kSlice ? n - i * kSlice : kSlice);
  return crc;
}

namespace {

constexpr std::uint64_t kP1 = 0x9E3779B185EBCA87ull, kP2 = 0xC2B2AE3D27D4EB4Full,
                        kP3 = 0x165667B19E3779F9ull, kP4 = 0x85EBCA77C2B2AE63ull,
                        kP5 = 0x27D4EB2F165667C5ull;
constexpr std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
constexpr std::uint64_t lane(std::uint64_t acc, std::uint64_t in) {
  return rotl(acc + in * kP2, 31) * kP1;
}
constexpr std::uint64_t merge(std::uint64_t h, std::uint64_t v) {
  return (h ^ lane(0, v)) * kP1 + kP4;
}
std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);  // every target ELEX builds for is little-endian (serial.h)
  return v;
}

/// The trailer `data` should have, by its header's kind and version.
std::uint32_t checksum(const std::uint8_t* data, std::size_t n, ThreadPool* pool) {
  return checksum_of(static_cast<ContainerKind>(rd16(data + 6)), rd16(data + 4)) == Checksum::Hash64
             ? hash32(data, n)
             : crc32_parallel(data, n, pool);
}

}  // namespace

std::uint64_t hash64(const std::uint8_t* p, std::size_t n) {
  const std::uint8_t* const end = p + n;
  std::uint64_t h;
  if (n >= 32) {
    std::uint64_t v1 = kP1 + kP2, v2 = kP2, v3 = 0, v4 = 0 - kP1;
    for (; end - p >= 32; p += 32) {
      v1 = lane(v1, load64(p));
      v2 = lane(v2, load64(p + 8));
      v3 = lane(v3, load64(p + 16));
      v4 = lane(v4, load64(p + 24));
    }
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    h = merge(merge(merge(merge(h, v1), v2), v3), v4);
  } else {
    h = kP5;
  }
  h += std::uint64_t(n);
  for (; end - p >= 8; p += 8) h = rotl(h ^ lane(0, load64(p)), 27) * kP1 + kP4;
  if (end - p >= 4) {
    h = rotl(h ^ (std::uint64_t(rd32(p)) * kP1), 23) * kP2 + kP3;
    p += 4;
  }
  for (; p < end; ++p) h = rotl(h ^ (std::uint64_t(*p) * kP5), 11) * kP1;
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  h *= kP3;
  return h ^ (h >> 32);
}

Status layout(ContainerKind kind, const std::uint32_t* tags, const std::size_t* sizes,
              unsigned count, std::uint8_t** out, std::size_t* out_size, std::uint8_t** payloads) {
  if (out == nullptr || out_size == nullptr ||
      (count > 0 && (tags == nullptr || sizes == nullptr || payloads == nullptr)))
    return fail(ELEX_E_INVALID_ARGUMENT, "format::layout: null output or section list");
  if (count > kMaxSections)
    return fail(ELEX_E_INVALID_ARGUMENT, "format::layout: %u sections, at most %u", count,
                kMaxSections);
  std::size_t total = kHeaderBytes + kTrailerBytes;
  for (unsigned i = 0; i < count; ++i) {
    const std::size_t add = kSectionHeaderBytes + pad8(sizes[i]);
    if (pad8(sizes[i]) < sizes[i] || total + add < total)
      return fail(ELEX_E_INVALID_ARGUMENT, "format::layout: sections too large");
    total += add;
  }
  auto* buf = static_cast<std::uint8_t*>(std::malloc(total));
  if (buf == nullptr)
    return fail(ELEX_E_OUT_OF_MEMORY, "could not allocate %zu bytes for a container", total);
  std::memcpy(buf, kMagic, 4);
  wr16(buf + 4, version_of(kind));
  wr16(buf + 6, static_cast<std::uint16_t>(kind));
  wr32(buf + 8, count);
  wr32(buf + 12, 0);
  std::size_t at = kHeaderBytes;
  for (unsigned i = 0; i < count; ++i) {
    wr32(buf + at, tags[i]);
    wr32(buf + at + 4, 0);
    wr64(buf + at + 8, sizes[i]);
    at += kSectionHeaderBytes;
    payloads[i] = buf + at;
    std::memset(buf + at + sizes[i], 0, pad8(sizes[i]) - sizes[i]);
    at += pad8(sizes[i]);
  }
  wr32(buf + at, 0);
  *out = buf;
  *out_size = total;
  return ELEX_OK;
}

void seal(std::uint8_t* buf, std::size_t size, ThreadPool* pool) {
  wr32(buf + size - kTrailerBytes, checksum(buf, size - kTrailerBytes, pool));
}

Status write(ContainerKind kind, const SectionIn* sections, unsigned count, std::uint8_t** out,
             std::size_t* out_size) {
  if (out == nullptr || out_size == nullptr || (count > 0 && sections == nullptr))
    return fail(ELEX_E_INVALID_ARGUMENT, "format::write: null output or section list");
  if (count > kMaxSections)
    return fail(ELEX_E_INVALID_ARGUMENT, "format::write: %u sections, at most %u", count,
                kMaxSections);
  // Tags, sizes and payload pointers of up to kMaxSections sections: on the heap, not the stack.
  const std::size_t each = sizeof(std::uint32_t) + sizeof(std::size_t) + sizeof(std::uint8_t*);
  void* scratch = std::malloc(count > 0 ? count * each : 1);
  if (scratch == nullptr) return fail(ELEX_E_OUT_OF_MEMORY, "format::write: no memory");
  auto* payloads = static_cast<std::uint8_t**>(scratch);
  auto* sizes = reinterpret_cast<std::size_t*>(payloads + count);
  auto* tags = reinterpret_cast<std::uint32_t*>(sizes + count);
  for (unsigned i = 0; i < count; ++i) {
    tags[i] = sections[i].tag;
    sizes[i] = sections[i].size;
  }
  Status s = layout(kind, tags, sizes, count, out, out_size, payloads);
  if (s == ELEX_OK) {
    for (unsigned i = 0; i < count; ++i)
      if (sizes[i] > 0) std::memcpy(payloads[i], sections[i].data, sizes[i]);
    seal(*out, *out_size);
  }
  std::free(scratch);
  return s;
}

namespace {
/// What writes a container of `kind`, for messages.
const char* kind_name(std::uint16_t kind) {
  switch (static_cast<ContainerKind>(kind)) {
    case ContainerKind::VectorSet:
      return "vectors (encodeVectors())";
    case ContainerKind::HnswIndex:
      return "an index (IndexHandle.save())";
    case ContainerKind::ShardedIndex:
      return "a sharded index (EngineIndex.save())";
    case ContainerKind::AgentSnapshot:
      return "learned agent state (a persist snapshot)";
    case ContainerKind::RouterState:
      return "a saved router (the router cache)";
  }
  return "an unknown kind of data";
}
}  // namespace

Status Reader::open(const std::uint8_t* bytes, std::size_t size, ContainerKind kind,
                    ThreadPool* pool) {
  count_ = 0;
  if (bytes == nullptr && size > 0)
    return fail(ELEX_E_INVALID_ARGUMENT, "container bytes are null");
  if (size < kHeaderBytes + kTrailerBytes || std::memcmp(bytes, kMagic, 4) != 0)
    return fail(ELEX_E_FOREIGN_DATA,
                "not ELEX data: expected the magic \"ELEX\" and at least %zu bytes (got %zu)",
                kHeaderBytes + kTrailerBytes, size);
  const std::uint16_t version = rd16(bytes + 4);
  const std::uint16_t got_kind = rd16(bytes + 6);
  // The kind first: data of another kind (an index's bytes given where an
  // engine index's go) is not "newer", whatever its version.
  if (got_kind != static_cast<std::uint16_t>(kind))
    return fail(ELEX_E_UNSUPPORTED_VERSION, "ELEX data holds %s (kind %u), not %s (kind %u)",
                kind_name(got_kind), got_kind, kind_name(static_cast<std::uint16_t>(kind)),
                static_cast<unsigned>(kind));
  if (version < kFormatVersion || version > version_of(kind))
    return fail(ELEX_E_UNSUPPORTED_VERSION,
                "ELEX data of kind %u has format version %u; this build reads kind %u up to "
                "version %u (data written by a newer ELEX needs that version to load)",
                got_kind, version, static_cast<unsigned>(kind), version_of(kind));
  const std::size_t body = size - kTrailerBytes;
  if (checksum(bytes, body, pool) != rd32(bytes + body))
    return fail(ELEX_E_CORRUPT_DATA, "ELEX data is corrupt: checksum mismatch (%zu bytes)", size);
  const std::uint32_t n = rd32(bytes + 8);
  if (rd32(bytes + 12) != 0) return fail(ELEX_E_CORRUPT_DATA, "ELEX data has unknown header flags");
  if (n > kMaxSections)
    return fail(ELEX_E_CORRUPT_DATA, "ELEX data claims %u sections, at most %u", n, kMaxSections);
  std::size_t at = kHeaderBytes;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (body - at < kSectionHeaderBytes)
      return fail(ELEX_E_CORRUPT_DATA, "ELEX data is truncated in section header %u", i);
    const std::uint32_t t = rd32(bytes + at);
    const std::uint32_t reserved = rd32(bytes + at + 4);
    const std::uint64_t len = rd64(bytes + at + 8);
    at += kSectionHeaderBytes;
    if (reserved != 0) return fail(ELEX_E_CORRUPT_DATA, "ELEX section %u has reserved bits set", i);
    if (len > body - at || pad8(static_cast<std::size_t>(len)) > body - at)
      return fail(ELEX_E_CORRUPT_DATA, "ELEX section %u overruns the data", i);
    // The headers before this one were checked already: walk them for the tag.
    for (std::size_t prev = kHeaderBytes; prev < at - kSectionHeaderBytes;
         prev += kSectionHeaderBytes + pad8(static_cast<std::size_t>(rd64(bytes + prev + 8))))
      if (rd32(bytes + prev) == t) return fail(ELEX_E_CORRUPT_DATA, "ELEX section tag repeated");
    at += pad8(static_cast<std::size_t>(len));
  }
  if (at != body)
    return fail(ELEX_E_CORRUPT_DATA, "ELEX data has %zu stray bytes after its sections", body - at);
  bytes_ = bytes;
  count_ = n;
  version_ = version;
  return ELEX_OK;
}

const std::uint8_t* Reader::section_at(unsigned i, std::uint32_t* tag, std::size_t* size) const {
  if (i >= count_) {
    if (tag) *tag = 0;
    if (size) *size = 0;
    return nullptr;
  }
  std::size_t at = kHeaderBytes;
  for (unsigned j = 0; j < i; ++j)
    at += kSectionHeaderBytes + pad8(static_cast<std::size_t>(rd64(bytes_ + at + 8)));
  if (tag) *tag = rd32(bytes_ + at);
  if (size) *size = static_cast<std::size_t>(rd64(bytes_ + at + 8));
  return bytes_ + at + kSectionHeaderBytes;
}

const std::uint8_t* Reader::section(std::uint32_t t, std::size_t* size) const {
  std::size_t at = kHeaderBytes;
  for (unsigned i = 0; i < count_; ++i) {
    const std::size_t len = static_cast<std::size_t>(rd64(bytes_ + at + 8));
    if (rd32(bytes_ + at) == t) {
      if (size) *size = len;
      return bytes_ + at + kSectionHeaderBytes;
    }
    at += kSectionHeaderBytes + pad8(len);
  }
  if (size) *size = 0;
  return nullptr;
}

}  // namespace elex::format
