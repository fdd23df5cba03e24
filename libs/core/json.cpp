#include "parley/core/json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "parley/core/error.hpp"

namespace parley::json {

bj::value parse(std::string_view text) {
  boost::system::error_code ec;
  bj::parse_options options;
  options.max_depth = 32;
  options.allow_invalid_utf8 = false;
  bj::value value = bj::parse(text, ec, {}, options);
  if (ec) throw Error::malformed_json("request body is not valid JSON: " + ec.message());
  return value;
}

bj::object parse_object(std::string_view body) {
  if (body.empty()) throw Error::malformed_json("request body is empty; a JSON object is expected");
  bj::value value = parse(body);
  if (!value.is_object()) throw Error::invalid_argument("request body must be a JSON object");
  return std::move(value.as_object());
}

std::string serialize(const bj::value& value) { return bj::serialize(value); }

namespace {
[[noreturn]] void wrong_type(std::string_view field, std::string_view expected) {
  throw Error::invalid_argument(std::string(field) + " must be " + std::string(expected),
                                std::string(field));
}
// An absent field is nullptr; a field given as null is a type error like any other.
const bj::value* find(const bj::object& obj, std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end()) return nullptr;
  if (it->value().is_null()) wrong_type(field, "given a value, not null");
  return &it->value();
}
}  // namespace

std::optional<std::string> optional_string(const bj::object& obj, std::string_view field) {
  const bj::value* v = find(obj, field);
  if (!v) return std::nullopt;
  if (!v->is_string()) wrong_type(field, "a string");
  return std::string(v->as_string());
}

std::string required_string(const bj::object& obj, std::string_view field) {
  auto value = optional_string(obj, field);
  if (!value) throw Error::invalid_argument(std::string(field) + " is required", std::string(field));
  return *value;
}

std::optional<std::int64_t> optional_int(const bj::object& obj, std::string_view field) {
  const bj::value* v = find(obj, field);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->as_uint64());
  wrong_type(field, "an integer");
}

std::int64_t required_int(const bj::object& obj, std::string_view field) {
  auto value = optional_int(obj, field);
  if (!value) throw Error::invalid_argument(std::string(field) + " is required", std::string(field));
  return *value;
}

std::optional<bool> optional_bool(const bj::object& obj, std::string_view field) {
  const bj::value* v = find(obj, field);
  if (!v) return std::nullopt;
  if (!v->is_bool()) wrong_type(field, "a boolean");
  return v->as_bool();
}

void reject_unknown_fields(const bj::object& obj, std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : obj) {
    bool known = false;
    for (auto name : allowed) known = known || kv.key() == name;
    if (!known)
      throw Error::invalid_argument("unknown field " + std::string(kv.key()), std::string(kv.key()));
  }
}

}  // namespace parley::json
