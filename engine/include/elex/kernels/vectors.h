// elex/kernels/vectors.h — a dense f32 vector set and its byte form.
//
// A vector set is `count` vectors of `dim` floats, row-major. Its bytes are
// an ELEX container (format.h) of kind VectorSet with two sections:
//   "META": u32 dim, u32 count
//   "VF32": count * dim little-endian f32
// decode() is the engine's first parser of untrusted input and is fuzzed
// (tests/fuzz/fuzz_vectors_decode.cpp).
#ifndef ELEX_VECTORS_H
#define ELEX_VECTORS_H

#include <cstddef>
#include <cstdint>

#include "elex/core/status.h"

namespace elex::vectors {

/// Largest dimension accepted anywhere in the engine.
inline constexpr std::uint32_t kMaxDim = 65536;

/// Serialises `count` x `dim` floats to a new malloc'ed buffer.
[[nodiscard]] Status encode(const float* data, std::uint32_t count, std::uint32_t dim,
                            std::uint8_t** out, std::size_t* out_size);

/// Parses bytes written by encode(): on success *data is a new malloc'ed
/// array of *count x *dim floats (nullptr when count is 0).
[[nodiscard]] Status decode(const std::uint8_t* bytes, std::size_t size, float** data,
                            std::uint32_t* count, std::uint32_t* dim);

}  // namespace elex::vectors

#endif  // ELEX_VECTORS_H
