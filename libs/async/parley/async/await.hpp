#pragma once
// Bridges between Asio coroutines and plain threads.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <optional>

namespace parley::async {

namespace asio = boost::asio;
template <class T = void>
using Task = asio::awaitable<T>;

// Resumes a suspended coroutine on its own executor. Call exactly once, from any thread;
// a non-null exception is rethrown in the coroutine.
using Resume = std::function<void(std::exception_ptr)>;

// Suspends the calling coroutine, calls start(resume), and continues once resume is called.
template <class Start>
Task<void> suspend(Start start) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
      [start = std::move(start)](auto handler) mutable {
        using Handler = decltype(handler);
        struct State {
          Handler handler;
          asio::executor_work_guard<asio::associated_executor_t<Handler>> work;
        };
        auto executor = asio::get_associated_executor(handler);
        auto state = std::make_shared<State>(State{std::move(handler), asio::make_work_guard(executor)});
        start(Resume([state](std::exception_ptr error) {
          auto ex = state->work.get_executor();
          asio::post(ex, [state, error]() mutable {
            std::move(state->handler)(error);
            state->work.reset();
          });
        }));
      },
      asio::use_awaitable);
}

}  // namespace parley::async
