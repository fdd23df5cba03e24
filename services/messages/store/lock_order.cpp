#include "store/lock_order.hpp"

#include <atomic>
#include <stdexcept>

namespace parley::messages::store {

namespace {
// Tx::run_marks: the kinds of rows locked in the low byte (Locked), and above it a number that
// names the run once it took the clock, so that a proof kept from another run (a re-run of the
// same write may use the same Tx object) is refused.
constexpr std::uint32_t kKinds = 0xff;
constexpr int kRunShift = 8;

std::uint32_t run_of(storage::Tx& tx) {
  static std::atomic<std::uint32_t> next{0};
  auto& marks = tx.run_marks();
  if ((marks >> kRunShift) == 0) {
    std::uint32_t run = 0;
    while (run == 0)
      run = (next.fetch_add(1, std::memory_order_relaxed) + 1) & (0xffffffffu >> kRunShift);
    marks = (marks & kKinds) | (run << kRunShift);
  }
  return marks >> kRunShift;
}
}  // namespace

ClockHeld::ClockHeld(storage::Tx& tx, std::int64_t gseq)
    : tx_(&tx), run_(run_of(tx)), gseq_(gseq) {}

void ClockHeld::check(storage::Tx& tx) const {
  if (tx_ != &tx || run_ != (tx.run_marks() >> kRunShift))
    throw std::logic_error("lock order: a proof of the sync clock from another transaction");
}

void lock(storage::Tx& tx, Locked what) {
  auto& marks = tx.run_marks();
  const auto bit = static_cast<std::uint32_t>(what);
  const bool after_clock = marks & static_cast<std::uint32_t>(Locked::clock);
  if (what == Locked::rows && after_clock && !(marks & bit))
    throw std::logic_error("lock order: conversation or message rows locked after the sync clock");
  marks |= bit;
}

}  // namespace parley::messages::store
