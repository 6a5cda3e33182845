// Vector-set bytes (see vectors.h).
#include "elex/kernels/vectors.h"

#include <cstdlib>
#include <cstring>

#include "elex/core/format.h"

namespace elex::vectors {

namespace {
constexpr std::uint32_t kMeta = format::tag("META");
constexpr std::uint32_t kData = format::tag("VF32");
}  // namespace

Status encode(const float* data, std::uint32_t count, std::uint32_t dim, std::uint8_t** out,
              std::size_t* out_size) {
  if (dim == 0 || dim > kMaxDim)
    return fail(ELEX_E_INVALID_ARGUMENT, "dimension %u is outside 1..%u", dim, kMaxDim);
  if (data == nullptr && count > 0) return fail(ELEX_E_INVALID_ARGUMENT, "vector data is null");
  const std::uint64_t bytes = std::uint64_t(count) * dim * sizeof(float);
  if (bytes > SIZE_MAX / 2) return fail(ELEX_E_INVALID_ARGUMENT, "vector set too large");
  std::uint8_t meta[8];
  std::memcpy(meta, &dim, 4);
  std::memcpy(meta + 4, &count, 4);
  const format::SectionIn sections[2] = {{kMeta, meta, sizeof meta},
                                         {kData, data, static_cast<std::size_t>(bytes)}};
  return format::write(format::ContainerKind::VectorSet, sections, 2, out, out_size);
}

Status decode(const std::uint8_t* bytes, std::size_t size, float** data, std::uint32_t* count,
              std::uint32_t* dim) {
  if (data == nullptr || count == nullptr || dim == nullptr)
    return fail(ELEX_E_INVALID_ARGUMENT, "vectors::decode: null output pointer");
  *data = nullptr;
  *count = 0;
  *dim = 0;
  format::Reader reader;
  if (Status s = reader.open(bytes, size, format::ContainerKind::VectorSet); s != ELEX_OK) return s;
  std::size_t meta_size = 0, data_size = 0;
  const std::uint8_t* meta = reader.section(kMeta, &meta_size);
  const std::uint8_t* payload = reader.section(kData, &data_size);
  if (meta == nullptr || meta_size != 8 || payload == nullptr)
    return fail(ELEX_E_CORRUPT_DATA, "vector set lacks a valid META or VF32 section");
  std::uint32_t d = 0, c = 0;
  std::memcpy(&d, meta, 4);
  std::memcpy(&c, meta + 4, 4);
  if (d == 0 || d > kMaxDim)
    return fail(ELEX_E_CORRUPT_DATA, "vector set dimension %u is outside 1..%u", d, kMaxDim);
  const std::uint64_t expected = std::uint64_t(c) * d * sizeof(float);
  if (expected != data_size)
    return fail(ELEX_E_CORRUPT_DATA, "vector set declares %u x %u floats but holds %zu bytes", c, d,
                data_size);
  float* out = nullptr;
  if (expected > 0) {
    out = static_cast<float*>(std::malloc(static_cast<std::size_t>(expected)));
    if (out == nullptr)
      return fail(ELEX_E_OUT_OF_MEMORY, "could not allocate %zu bytes for a vector set",
                  static_cast<std::size_t>(expected));
    std::memcpy(out, payload, static_cast<std::size_t>(expected));
  }
  *data = out;
  *count = c;
  *dim = d;
  return ELEX_OK;
}

}  // namespace elex::vectors
