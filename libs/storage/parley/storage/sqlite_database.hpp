#pragma once
#include <memory>
#include <string>

#include "parley/storage/database.hpp"

namespace parley::storage {

struct SqliteOptions {
  std::string path;                 // database file
  std::size_t reader_threads = 2;   // threads (and connections) for reads
  std::size_t max_batch = 512;      // writes committed in one transaction at most
  bool synchronous_full = true;     // fsync every commit (durability); false only for tests
  int busy_timeout_ms = 5000;       // wait for a lock held by another connection
  int checkpoint_every_frames = 2000;  // background WAL checkpoint after this many new frames
  int wal_restart_frames = 64000;      // the writer starts the WAL over at this size (frames)
};

// WAL mode, foreign keys on, one writer thread that group-commits, a pool of readers.
std::unique_ptr<Database> open_sqlite(SqliteOptions options);

}  // namespace parley::storage
