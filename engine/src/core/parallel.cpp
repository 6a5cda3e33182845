// ThreadPool (see parallel.h).
#include "elex/core/parallel.h"

#include <pthread.h>

#include <cstdlib>
#include <new>

namespace elex {

struct ThreadPool::HelperArg {
  ThreadPool* pool;
  unsigned index;
};

static_assert(sizeof(pthread_t) <= sizeof(unsigned long), "pthread_t must fit the handle slot");

ThreadPool::ThreadPool(unsigned threads) {
  if (threads < 1) threads = 1;
  if (threads > kMaxThreads) threads = kMaxThreads;
#if ELEX_THREADS
  const unsigned wanted = threads - 1;
  if (wanted == 0) return;
  args_ = static_cast<HelperArg*>(std::malloc(sizeof(HelperArg) * wanted));
  if (args_ == nullptr) return;
  for (unsigned i = 0; i < wanted; ++i) {
    args_[i] = HelperArg{this, i + 1};
    pthread_t t;
    if (pthread_create(&t, nullptr, &ThreadPool::helper_main, &args_[i]) != 0) break;
    threads_[helpers_++] = static_cast<unsigned long>(t);
  }
#endif
}

ThreadPool::~ThreadPool() {
#if ELEX_THREADS
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (unsigned i = 0; i < helpers_; ++i)
    pthread_join(static_cast<pthread_t>(threads_[i]), nullptr);
#endif
  std::free(args_);
}

void* ThreadPool::helper_main(void* arg) {
  auto* a = static_cast<HelperArg*>(arg);
  a->pool->helper_loop(a->index);
  return nullptr;
}

bool ThreadPool::work_on_current_job(unsigned thread_index) {
  bool ran = false;
  for (;;) {
    const std::size_t begin = cursor_.fetch_add(grain_, std::memory_order_relaxed);
    if (begin >= n_) break;
    const std::size_t end = (n_ - begin < grain_) ? n_ : begin + grain_;
    fn_(ctx_, begin, end, thread_index);
    ran = true;
  }
  if (ran) participants_.fetch_or(std::uint64_t{1} << thread_index, std::memory_order_relaxed);
  return ran;
}

void ThreadPool::helper_loop(unsigned thread_index) {
  std::uint64_t seen = 0;
  for (;;) {
    for (unsigned i = 0; i < kSpin; ++i)
      if (generation_.load(std::memory_order_acquire) != seen ||
          stop_.load(std::memory_order_relaxed))
        break;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
      if (stop_.load()) return;
      seen = generation_.load();
    }
    work_on_current_job(thread_index);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (busy_.fetch_sub(1) == 1) done_.notify_one();
    }
  }
}

unsigned ThreadPool::run(std::size_t n, std::size_t grain, ChunkFn fn, void* ctx) {
  if (n == 0) return 0;
  if (grain == 0) grain = 1;
  fn_ = fn;
  ctx_ = ctx;
  n_ = n;
  grain_ = grain;
  cursor_.store(0, std::memory_order_relaxed);
  participants_.store(0, std::memory_order_relaxed);
  const bool share = helpers_ > 0 && n > grain;
  if (share) {
    std::lock_guard<std::mutex> lock(mutex_);
    busy_.store(helpers_);
    generation_.fetch_add(1);
  }
  if (share) wake_.notify_all();
  work_on_current_job(0);
  if (share) {
    for (unsigned i = 0; i < kSpin && busy_.load(std::memory_order_acquire) != 0; ++i) {
    }
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return busy_.load() == 0; });
  }
  return static_cast<unsigned>(__builtin_popcountll(participants_.load(std::memory_order_relaxed)));
}

}  // namespace elex
