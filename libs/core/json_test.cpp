#include "parley/core/json.hpp"

#include <gtest/gtest.h>

#include "parley/core/error.hpp"

namespace parley::json {
namespace {

std::string code_of(std::string_view body) {
  try {
    parse_object(body);
  } catch (const Error& e) {
    return e.code();
  }
  return "ok";
}

TEST(ParseObject, ClassifiesBadBodies) {
  struct Case { std::string body; std::string code; };
  const std::vector<Case> cases = {
      {R"({"a":1})", "ok"},
      {"", "malformed_json"},
      {"{", "malformed_json"},
      {R"({"a":1,})", "malformed_json"},
      {"{\"a\":\"\xff\xfe\"}", "malformed_json"},  // invalid UTF-8
      {"[]", "invalid_argument"},
      {"42", "invalid_argument"},
      {std::string(40, '[') + std::string(40, ']'), "malformed_json"},  // too deep
  };
  for (const auto& c : cases) EXPECT_EQ(code_of(c.body), c.code) << c.body;
}

TEST(Fields, NameTheFieldOnWrongTypeOrAbsence) {
  auto obj = parse_object(R"({"name": 5, "flag": "x", "n": 1.5})");
  try {
    required_string(obj, "name");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "invalid_argument");
    EXPECT_EQ(e.details().at("field").as_string(), "name");
  }
  EXPECT_THROW(required_string(obj, "missing"), Error);
  EXPECT_THROW(optional_bool(obj, "flag"), Error);
  EXPECT_THROW(optional_int(obj, "n"), Error);
  EXPECT_FALSE(optional_string(obj, "missing").has_value());
  auto nulls = parse_object(R"({"bio": null})");
  EXPECT_THROW(optional_string(nulls, "bio"), Error);
}

TEST(Fields, RejectUnknownNamesTheField) {
  auto obj = parse_object(R"({"ok": 1, "typo": 2})");
  try {
    reject_unknown_fields(obj, {"ok"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.details().at("field").as_string(), "typo");
  }
  EXPECT_NO_THROW(reject_unknown_fields(obj, {"ok", "typo"}));
}

TEST(ErrorEnvelope, HasCodeMessageAndDetails) {
  auto e = Error::rate_limited(1500);
  auto v = parse(e.envelope());
  EXPECT_EQ(e.status(), 429);
  EXPECT_EQ(v.at("error").at("code").as_string(), "rate_limited");
  EXPECT_EQ(v.at("error").at("details").at("retry_after_ms").as_int64(), 1500);
  EXPECT_FALSE(Error::internal("SELECT secret FROM x").envelope().find("SELECT") != std::string::npos);
}

}  // namespace
}  // namespace parley::json
