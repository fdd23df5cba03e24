#pragma once
// The order in which the messages service's writes lock rows, enforced by types where a compiler
// can and by a check where it cannot.
//
// With replicas on MySQL, two writes that lock the same rows in opposite orders deadlock (the
// server undoes one, which runs again); SQLite has one writer and never does. Every write that
// locks more than one of these takes them in this order:
//   1. conversations and messages rows: insert_conversation, touch, set_title, set_invite,
//      clear_invite, take_seqs, insert_messages, edit_message, tombstone;
//   2. the sync log's clock: lock_sync_head, append_events (which hands out gseqs);
//   3. members rows: add_member, remove_member, set_role, set_read, raise_read_markers, and the
//      audience append_events reads once it holds the clock.
// Members rows need a ClockHeld, which only taking the clock makes: a write that would lock them
// before the clock does not compile. Rows of step 1 after the clock cannot be refused by the
// compiler; each such function records what it locks in the run (Tx::run_marks), and locking
// conversation or message rows after the clock throws std::logic_error, which the tests of every
// write reach. (The check is by kind of row: a write that locked conversation rows before the
// clock may write such rows after it, as removing the last member clears the invite code of the
// row it touched first.) Pruning takes the clock before it deletes event rows, as writers take it
// before they add them.
//
// What this does not cover: one write's order is checked, but on MySQL a group-commit batch runs
// many writes in one transaction (and a batch's sends last, together), so a batch can hold the
// clock from one write when a later one locks conversation rows. Two replicas' batches may then
// deadlock; the server undoes one, the batch runs again, then its writes one by one (as before
// this order was written down). Taking the clock first in every batch, or ordering a batch's
// steps as a whole, would close that; it needs a two-replica MariaDB test and a benchmark.

#include <cstdint>

#include "parley/storage/database.hpp"

namespace parley::messages::store {

// Proof that this write took the sync clock (store::lock_sync_head, or the clock append_events
// took): on MySQL the clock row is locked until the transaction ends. Only the sync log's
// functions make one; it is valid only in the run of the write function it was made in (not in
// another transaction, nor in a re-run of the same write).
class ClockHeld {
 public:
  ClockHeld(ClockHeld&&) = default;
  ClockHeld& operator=(ClockHeld&&) = default;
  ClockHeld(const ClockHeld&) = delete;
  ClockHeld& operator=(const ClockHeld&) = delete;

  // The newest gseq when the clock was taken (with append_events: the last gseq it handed out).
  // A membership span that starts or ends in this write starts or ends here.
  std::int64_t gseq() const { return gseq_; }
  // Throws std::logic_error unless this proof was made in this run of a write function on tx.
  void check(storage::Tx& tx) const;

 private:
  friend struct ClockTaking;  // the sync log (store/sync_log.cpp)
  ClockHeld(storage::Tx& tx, std::int64_t gseq);
  const storage::Tx* tx_;
  std::uint32_t run_;  // names the run it was made in (see lock_order.cpp)
  std::int64_t gseq_;
};

// The kinds of rows of the order above.
enum class Locked : std::uint32_t { rows = 1, clock = 2, members = 4 };

// Records that this run of the write locks what; throws std::logic_error if that breaks the
// order (conversation or message rows after the clock, none locked before it).
void lock(storage::Tx& tx, Locked what);

}  // namespace parley::messages::store
