#pragma once
#include <string>

namespace parley::ids {

// A UUIDv7 string (time-ordered, 74 random bits; monotonic within one process).
std::string uuid_v7();
// True for a canonical lowercase UUID string.
bool is_uuid(std::string_view text);

}  // namespace parley::ids
