#pragma once
// The one JSON helper: strict parsing of request bodies and typed field access that answers
// 400 naming the field. Built on Boost.JSON.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace parley::json {

namespace bj = boost::json;

// Parses a request body that must be one JSON object. Malformed text or invalid UTF-8 throws
// Error 400 malformed_json; a valid document that is not an object throws invalid_argument.
bj::object parse_object(std::string_view body);

// Parses any JSON text; throws Error malformed_json.
bj::value parse(std::string_view text);

std::string serialize(const bj::value& value);

// Field access. Missing required fields and wrong types throw Error invalid_argument naming
// the field. Optional getters return nullopt for an absent field; null is a wrong type.
std::string required_string(const bj::object& obj, std::string_view field);
std::optional<std::string> optional_string(const bj::object& obj, std::string_view field);
std::int64_t required_int(const bj::object& obj, std::string_view field);
std::optional<std::int64_t> optional_int(const bj::object& obj, std::string_view field);
std::optional<bool> optional_bool(const bj::object& obj, std::string_view field);

// Throws invalid_argument naming the first field of obj that is not in allowed.
void reject_unknown_fields(const bj::object& obj, std::initializer_list<std::string_view> allowed);

}  // namespace parley::json
