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
  // WAL upkeep (4 KiB frames): a background checkpoint after every checkpoint_every_frames new
  // frames; the writer starts the WAL over once it holds wal_restart_frames (512 MiB: the WAL's
  // largest size on disk, read again on recovery after a crash).
  int checkpoint_every_frames = 500;
  int wal_restart_frames = 128000;
};

// WAL mode, foreign keys on, one writer thread that group-commits, a pool of readers.
std::unique_ptr<Database> open_sqlite(SqliteOptions options);

}  // namespace parley::storage
