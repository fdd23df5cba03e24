#pragma once
// The behaviour every storage implementation must show, as value-parameterized tests; each
// implementation instantiates DatabaseContract with a factory for a fresh, empty database.

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "parley/storage/database.hpp"

namespace parley::storage {

using DatabaseFactory = std::function<std::unique_ptr<Database>()>;

class DatabaseContract : public ::testing::TestWithParam<DatabaseFactory> {};

}  // namespace parley::storage
