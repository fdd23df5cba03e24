#include "domain/profile.hpp"

#include <gtest/gtest.h>

#include "parley/core/error.hpp"
#include "parley/core/json.hpp"

namespace parley::users {
namespace {

std::string rejected_field(std::string_view body) {
  try {
    parse_profile_change(json::parse_object(body));
  } catch (const Error& e) {
    return std::string(e.details().at("field").as_string());
  }
  return "accepted";
}

TEST(ProfileChange, ValidatesEachField) {
  struct Case { std::string body; std::string result; };
  const std::vector<Case> cases = {
      {R"({})", "accepted"},
      {R"({"display_name":"Ann"})", "accepted"},
      {R"({"display_name":"  "})", "display_name"},
      {R"({"display_name":5})", "display_name"},
      {R"({"display_name":"evil\u202e"})", "display_name"},
      {R"({"display_name":"\u3164"})", "display_name"},
      {R"({"display_name":"a\u200bb"})", "display_name"},
      {R"({"display_name":"Ren\u00e9e \u2764\ufe0f"})", "accepted"},
      {R"({"bio":"line one\nline two"})", "accepted"},
      {R"({"bio":"bell\u0007"})", "bio"},
      {"{\"bio\":\"" + std::string(501, 'x') + "\"}", "bio"},
      {R"({"dm_policy":"contacts"})", "accepted"},
      {R"({"dm_policy":"nobody"})", "dm_policy"},
      {R"({"username":"new"})", "username"},
  };
  for (const auto& c : cases) EXPECT_EQ(rejected_field(c.body), c.result) << c.body;
}

TEST(ProfileChange, AppliesOnlyWhatIsGiven) {
  Profile p{"id", "ann", "Ann", "old bio", "everyone", "t"};
  apply(p, parse_profile_change(json::parse_object(R"({"dm_policy":"contacts"})")));
  EXPECT_EQ(p.dm_policy, "contacts");
  EXPECT_EQ(p.bio, "old bio");
  EXPECT_FALSE(p.to_json(false).contains("dm_policy"));
  EXPECT_TRUE(p.to_json(true).contains("dm_policy"));
}

TEST(LikePrefix, EscapesWildcards) {
  EXPECT_EQ(like_prefix("Al"), "al%");
  EXPECT_EQ(like_prefix("50%_!"), "50!%!_!!%");
}

}  // namespace
}  // namespace parley::users
