#include "parley/storage/database.hpp"

namespace parley::storage {

std::int64_t Row::integer(std::size_t i) const {
  const Value& v = values_.at(i);
  if (auto p = std::get_if<std::int64_t>(&v)) return *p;
  if (auto s = std::get_if<std::string>(&v)) return std::stoll(*s);
  throw StorageError("column " + std::to_string(i) + " is not an integer");
}

const std::string& Row::text(std::size_t i) const {
  const Value& v = values_.at(i);
  if (auto p = std::get_if<std::string>(&v)) return *p;
  throw StorageError("column " + std::to_string(i) + " is not text");
}

std::optional<std::string> Row::optional_text(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return text(i);
}

std::optional<std::int64_t> Row::optional_integer(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return integer(i);
}

}  // namespace parley::storage

namespace parley::storage {

BatchWork& Tx::shared_work(std::string_view key, const std::function<std::unique_ptr<BatchWork>()>&) {
  throw std::logic_error("shared work '" + std::string(key) + "' outside a batched write");
}

}  // namespace parley::storage
