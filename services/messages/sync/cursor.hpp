#pragma once
// The text of a sync cursor: the sync log it belongs to (its epoch) and a gseq in it,
// "<epoch>:<gseq>" (base64url-encoded by service::encode_cursor on the way out). No I/O.

#include <cstdint>
#include <string>
#include <string_view>

namespace parley::messages {

std::string sync_cursor_text(std::string_view epoch, std::int64_t gseq);
// The gseq of a decoded cursor of the log named epoch. Throws invalid_argument naming "cursor"
// if it is malformed; gone (410 cursor_expired) if it is a cursor of another log or of the old
// per-user log (digits only), which is not malformed but expired: the client starts over.
std::int64_t parse_sync_cursor(std::string_view text, std::string_view epoch);

}  // namespace parley::messages
