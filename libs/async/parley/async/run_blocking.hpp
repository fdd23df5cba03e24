#pragma once
// Runs one coroutine to completion on a private io_context. For tests and tools, never for a
// server's I/O threads.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "parley/async/await.hpp"

namespace parley::async {

template <class T>
T run_blocking(Task<T> task) {
  asio::io_context ioc;
  auto future = asio::co_spawn(ioc, std::move(task), asio::use_future);
  ioc.run();
  return future.get();
}

}  // namespace parley::async
