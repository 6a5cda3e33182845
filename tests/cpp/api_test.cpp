// The C ABI: status codes and messages, build info, engine lifecycle.
#include "elex/elex.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

TEST(Api, BuildInfoDescribesTheBuild) {
  elex_engine* e = nullptr;
  ASSERT_EQ(elex_engine_create(3, &e), ELEX_OK);
  EXPECT_EQ(elex_engine_threads(e), 3u);
  const std::string info = elex_build_info(e);
  EXPECT_NE(info.find("\"variant\":\"native\""), std::string::npos) << info;
  EXPECT_NE(info.find("\"threads\":3"), std::string::npos) << info;
  EXPECT_NE(info.find("\"abi\":" + std::to_string(ELEX_ABI_VERSION)), std::string::npos) << info;
  elex_engine_destroy(e);
  EXPECT_EQ(elex_abi_version(), unsigned(ELEX_ABI_VERSION));
}

TEST(Api, FailuresCarryAStatusAndAMessage) {
  float a[3] = {1, 2, 3}, out = 0;
  EXPECT_EQ(elex_distance(7, a, a, 3, &out), ELEX_E_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(elex_last_error(), "unknown metric 7"), nullptr) << elex_last_error();
  EXPECT_STREQ(elex_status_name(ELEX_E_INVALID_ARGUMENT), "INVALID_ARGUMENT");
  // A successful call clears the message.
  EXPECT_EQ(elex_distance(0, a, a, 3, &out), ELEX_OK);
  EXPECT_STREQ(elex_last_error(), "");
  EXPECT_EQ(out, 0.0f);
  EXPECT_EQ(elex_distance(0, a, a, 0, &out), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(elex_engine_create(1, nullptr), ELEX_E_INVALID_ARGUMENT);
  const elex_distance_batch_args one{a, a, &out, 0, 1, 1, 3};
  EXPECT_EQ(elex_distance_batch(nullptr, &one, nullptr), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(elex_distance_batch_reference(nullptr), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(elex_distance_batch_reference(&one), ELEX_OK);
  EXPECT_EQ(out, 0.0f);
  EXPECT_STREQ(elex_status_name(12345), "UNKNOWN");
}

TEST(Api, BatchAndReferenceAgree) {
  elex_engine* e = nullptr;
  ASSERT_EQ(elex_engine_create(0, &e), ELEX_OK);
  EXPECT_GE(elex_engine_threads(e), 1u);
  std::vector<float> q(5 * 9), v(40 * 9);
  for (std::size_t i = 0; i < q.size(); ++i) q[i] = float(i % 7) - 3.0f;
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = float(i % 5) * 0.5f;
  std::vector<float> fast(5 * 40), ref(5 * 40);
  std::uint32_t used = 0;
  elex_distance_batch_args args{q.data(), v.data(), fast.data(), 2, 5, 40, 9};
  ASSERT_EQ(elex_distance_batch(e, &args, &used), ELEX_OK);
  EXPECT_EQ(elex_distance_batch(e, nullptr, &used), ELEX_E_INVALID_ARGUMENT);
  args.out = ref.data();
  ASSERT_EQ(elex_distance_batch_reference(&args), ELEX_OK);
  EXPECT_GE(used, 1u);
  for (std::size_t i = 0; i < fast.size(); ++i) EXPECT_NEAR(fast[i], ref[i], 1e-5f);
  args.metric = 7;
  EXPECT_EQ(elex_distance_batch(e, &args, &used), ELEX_E_INVALID_ARGUMENT);
  EXPECT_EQ(elex_distance_batch_reference(&args), ELEX_E_INVALID_ARGUMENT);
  elex_engine_destroy(e);
}

TEST(Api, VectorsRoundTripThroughTheAbi) {
  float v[6] = {1, 2, 3, 4, 5, 6};
  std::uint8_t* bytes = nullptr;
  std::size_t size = 0;
  ASSERT_EQ(elex_vectors_encode(v, 2, 3, &bytes, &size), ELEX_OK);
  float* back = nullptr;
  std::uint32_t count = 0, dim = 0;
  ASSERT_EQ(elex_vectors_decode(bytes, size, &back, &count, &dim), ELEX_OK);
  EXPECT_EQ(count, 2u);
  EXPECT_EQ(dim, 3u);
  EXPECT_EQ(std::memcmp(back, v, sizeof v), 0);
  elex_free(back);
  bytes[0] = 'X';
  EXPECT_EQ(elex_vectors_decode(bytes, size, &back, &count, &dim), ELEX_E_FOREIGN_DATA);
  EXPECT_NE(std::strstr(elex_last_error(), "not ELEX data"), nullptr);
  elex_free(bytes);
}
