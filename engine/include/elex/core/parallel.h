// elex/core/parallel.h — a small fixed thread pool for data-parallel loops.
//
// The caller's thread always takes part; the pool adds up to `threads - 1`
// helper pthreads, started once and parked on a condition variable between
// jobs. Before parking, a helper spins for a short while (kSpin polls, tens
// of microseconds) on the job counter, and the caller spins the same way
// before it sleeps on the helpers' completion: a futex wake-up costs tens of
// microseconds in a browser, as long as a whole exact scan, so back-to-back
// loops (one search per query) start and end without one. Chunks are handed
// out dynamically (an atomic cursor), so a helper that is descheduled on a
// busy machine does not hold the others up.
//
// Threads exist only where ELEX_THREADS is 1: native builds and the wasm
// `simd-mt` variant (-pthread). Elsewhere, and wherever a helper cannot be
// started (e.g. the Emscripten pthread pool is smaller than asked for), the
// pool simply has fewer helpers; work still runs, on the caller's thread.
// Results never depend on the number of threads: each chunk writes its own
// outputs.
//
// In wasm, the thread that calls parallel_for blocks (Atomics.wait), so it
// must be a Web Worker, never the page's main thread.
#ifndef ELEX_PARALLEL_H
#define ELEX_PARALLEL_H

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <type_traits>

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define ELEX_THREADS 0
#else
#define ELEX_THREADS 1
#endif

namespace elex {

class ThreadPool {
 public:
  /// Most threads one pool runs (caller included).
  static constexpr unsigned kMaxThreads = 64;
  /// Polls of the job counter before a thread parks (see the top).
  static constexpr unsigned kSpin = 1u << 17;

  /// A pool that runs loops on up to `threads` threads in total, caller
  /// included (clamped to 1..kMaxThreads). size() says how many it got.
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Threads that take part in a loop, caller included (>= 1).
  unsigned size() const { return helpers_ + 1; }

  /// Calls body(begin, end) — or body(begin, end, thread) where thread is
  /// 0..size()-1, for per-thread scratch — for consecutive chunks of at most
  /// `grain` items covering [0, n), spread over the pool's threads, and
  /// returns when all are done. Returns how many distinct threads ran at
  /// least one chunk. Not re-entrant: one loop at a time per pool.
  template <class Body>
  unsigned parallel_for(std::size_t n, std::size_t grain, Body&& body) {
    using B = std::remove_reference_t<Body>;
    return run(n, grain, &invoke<B>, const_cast<std::remove_const_t<B>*>(&body));
  }

 private:
  using ChunkFn = void (*)(void* ctx, std::size_t begin, std::size_t end, unsigned thread);
  template <class Body>
  static void invoke(void* ctx, std::size_t b, std::size_t e, unsigned thread) {
    auto& body = *static_cast<std::remove_const_t<Body>*>(ctx);
    if constexpr (std::is_invocable_v<Body&, std::size_t, std::size_t, unsigned>)
      body(b, e, thread);
    else
      body(b, e);
  }

  unsigned run(std::size_t n, std::size_t grain, ChunkFn fn, void* ctx);
  bool work_on_current_job(unsigned thread_index);
  static void* helper_main(void* arg);
  void helper_loop(unsigned thread_index);

  struct HelperArg;

  unsigned helpers_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  // Changed under mutex_; also read without it by the spinning threads.
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<unsigned> busy_{0};
  std::atomic<bool> stop_{false};

  ChunkFn fn_ = nullptr;
  void* ctx_ = nullptr;
  std::size_t n_ = 0;
  std::size_t grain_ = 1;
  std::atomic<std::size_t> cursor_{0};
  std::atomic<std::uint64_t> participants_{0};

  // pthread_t is an opaque type; stored type-erased to keep pthread.h out
  // of this header.
  unsigned long threads_[kMaxThreads] = {};
  HelperArg* args_ = nullptr;
};

}  // namespace elex

#endif  // ELEX_PARALLEL_H
