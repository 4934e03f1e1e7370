// BlockCache: a per-thread (so per-shard) free list of arrays of one size, so the buffers of requests in progress are reused rather than reallocated.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>

namespace coring::http::detail {

/// Arrays of `N` T, allocated with new T[N] (so a unique_ptr<T[]> may still delete one).
/// A connection takes one while a request is in progress and gives it back when it goes
/// idle; at most `Keep` wait here per thread, the rest are deleted.
template <class T, std::size_t N, std::size_t Keep = 256>
class BlockCache {
  static_assert(sizeof(T) * N >= sizeof(void*));

 public:
  /// Null if memory ran out.
  static T* take() noexcept {
    List& l = list();
    if (!l.head) return new (std::nothrow) T[N];
    T* b = l.head;
    std::memcpy(&l.head, static_cast<void*>(b), sizeof l.head);  // the link lives in the free block
    --l.count;
    return b;
  }
  static void give(T* b) noexcept {
    if (!b) return;
    List& l = list();
    if (l.count == Keep) {
      delete[] b;
      return;
    }
    std::memcpy(static_cast<void*>(b), &l.head, sizeof l.head);
    l.head = b;
    ++l.count;
  }

 private:
  struct List {
    T* head = nullptr;
    std::size_t count = 0;
    ~List() {
      while (head) {
        T* b = head;
        std::memcpy(&head, static_cast<void*>(b), sizeof head);
        delete[] b;
      }
    }
  };
  static List& list() noexcept {
    static thread_local List l;
    return l;
  }
};

}  // namespace coring::http::detail
