#pragma once
// Runs a function on a thread with a small stack (256 KiB), so that a recursion once per level of a
// client's nesting shows as a crash in the normal build too: a 64 KB request nests 32,000 levels, which a
// recursion of a few hundred bytes per level takes well past 256 KiB (and, under ASan, past the 8 MiB of
// cpxd's engine thread). Code that reads nesting iteratively (nlohmann's parser, its destructor) passes.
#include <pthread.h>

#include <functional>
#include <stdexcept>

namespace cpx::test {

inline void on_small_stack(const std::function<void()>& f, size_t stack_bytes = 256 * 1024) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_bytes);
  pthread_t thread;
  auto run = [](void* p) -> void* {
    (*static_cast<const std::function<void()>*>(p))();
    return nullptr;
  };
  const int rc = pthread_create(&thread, &attr, run, const_cast<std::function<void()>*>(&f));
  pthread_attr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("pthread_create failed");
  pthread_join(thread, nullptr);
}

}  // namespace cpx::test
