// SPDX-License-Identifier: Apache-2.0
#include "runtime/config/yaml_document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace optimystic::runtime::config {
namespace {

using optimystic::config::SettingsNode;
using ::testing::HasSubstr;
using Kind = SettingsNode::Kind;

std::string ErrorOf(const Result<SettingsNode>& r) {
  return r ? std::string("<ok>") : std::string(r.error().message());
}

const SettingsNode& At(const SettingsNode& map, std::string_view key) {
  static const SettingsNode kAbsent;
  const SettingsNode* node = map.Find(key);
  return node == nullptr ? kAbsent : *node;
}

bool SameContent(const SettingsNode& a, const SettingsNode& b) {
  if (a.kind != b.kind || a.scalar != b.scalar || a.quoted != b.quoted ||
      a.children.size() != b.children.size()) {
    return false;
  }
  for (size_t i = 0; i < a.children.size(); ++i) {
    if (a.children[i].first != b.children[i].first ||
        !SameContent(a.children[i].second, b.children[i].second)) {
      return false;
    }
  }
  return true;
}

TEST(YamlDocument, ScalarsKeepPositionAndQuoting) {
  auto doc = ParseYamlDocument("a: 1\nb: \"x\"\nc: 'y'\nd: !!str 12\ne:   plain text\n", "f.yaml");
  ASSERT_TRUE(doc) << ErrorOf(doc);
  ASSERT_EQ(doc->kind, Kind::kMap);
  EXPECT_EQ(doc->line, 1u);
  EXPECT_EQ(doc->column, 1u);
  const SettingsNode& a = At(*doc, "a");
  EXPECT_EQ(a.kind, Kind::kScalar);
  EXPECT_EQ(a.scalar, "1");
  EXPECT_FALSE(a.quoted);
  EXPECT_EQ(a.line, 1u);
  EXPECT_EQ(a.column, 4u);
  EXPECT_TRUE(At(*doc, "b").quoted);
  EXPECT_TRUE(At(*doc, "c").quoted);
  EXPECT_TRUE(At(*doc, "d").quoted);
  EXPECT_EQ(At(*doc, "d").scalar, "12");
  const SettingsNode& e = At(*doc, "e");
  EXPECT_EQ(e.scalar, "plain text");
  EXPECT_EQ(e.line, 5u);
  EXPECT_EQ(e.column, 6u);
  EXPECT_EQ(e.origin, "");
}

TEST(YamlDocument, PlainNullsAreNullQuotedOnesAreNot) {
  auto doc = ParseYamlDocument("a: ~\nb: null\nc:\nd: \"null\"\ne: ''\n", "f.yaml");
  ASSERT_TRUE(doc) << ErrorOf(doc);
  EXPECT_EQ(At(*doc, "a").kind, Kind::kNull);
  EXPECT_EQ(At(*doc, "b").kind, Kind::kNull);
  EXPECT_EQ(At(*doc, "c").kind, Kind::kNull);
  // An empty value is placed at its key, not at the next line's token.
  EXPECT_EQ(At(*doc, "c").line, 3u);
  EXPECT_EQ(At(*doc, "c").column, 1u);
  EXPECT_EQ(At(*doc, "d").kind, Kind::kScalar);
  EXPECT_EQ(At(*doc, "d").scalar, "null");
  EXPECT_EQ(At(*doc, "e").kind, Kind::kScalar);
  EXPECT_EQ(At(*doc, "e").scalar, "");
}

TEST(YamlDocument, SequencesAndAliases) {
  auto doc = ParseYamlDocument("base: &b {x: 1}\nuse: *b\nlist:\n  - a\n  - [b, c]\n", "f.yaml");
  ASSERT_TRUE(doc) << ErrorOf(doc);
  EXPECT_TRUE(SameContent(At(*doc, "base"), At(*doc, "use")));
  const SettingsNode& list = At(*doc, "list");
  ASSERT_EQ(list.kind, Kind::kSequence);
  ASSERT_EQ(list.children.size(), 2u);
  EXPECT_EQ(list.children[0].first, "");
  EXPECT_EQ(list.children[0].second.scalar, "a");
  EXPECT_EQ(list.children[0].second.line, 4u);
  EXPECT_EQ(list.children[1].second.kind, Kind::kSequence);
}

TEST(YamlDocument, ErrorsNameFileLineAndColumn) {
  EXPECT_EQ(ErrorOf(ParseYamlDocument("", "f.yaml")), "f.yaml: empty configuration");
  EXPECT_EQ(ErrorOf(ParseYamlDocument("a: [1, 2\n", "f.yaml")),
            "f.yaml:2:1: YAML syntax error: end of sequence flow not found");
  EXPECT_EQ(ErrorOf(ParseYamlDocument("a:\n  b: 1\n  c: 2\n  b: 3\n", "f.yaml")),
            "f.yaml:4:3: a.b: duplicate key 'b' (first at line 2)");
  EXPECT_EQ(ErrorOf(ParseYamlDocument("a: {x: 1, x: 2}\n", "f.yaml")),
            "f.yaml:1:11: a.x: duplicate key 'x' (first at line 1)");
  EXPECT_EQ(ErrorOf(ParseYamlDocument("a: 1\n---\nb: 2\n", "f.yaml")),
            "f.yaml:3:1: expected one YAML document, found more");
  EXPECT_EQ(ErrorOf(ParseYamlDocument("a:\n  ? [k]\n  : v\n", "f.yaml")),
            "f.yaml:2:5: a: a map key must be a scalar, not a list, a map or empty");
}

TEST(YamlDocument, RecursiveAndExplodingAliasesAreRefused) {
  EXPECT_THAT(ErrorOf(ParseYamlDocument("a: &x [*x]\n", "f.yaml")),
              HasSubstr("nested deeper than 64 levels"));
  std::string bomb = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 8; ++i) {
    const std::string prev = "*l" + std::to_string(i - 1);
    bomb += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + prev;
    for (int j = 0; j < 9; ++j) {
      bomb += ", " + prev;
    }
    bomb += "]\n";
  }
  EXPECT_THAT(ErrorOf(ParseYamlDocument(bomb, "f.yaml")), HasSubstr("more than 100000 values"));
}

TEST(YamlDocument, ValuesCarryTheirOrigin) {
  auto list = ParseYamlValue("[a, 'b', {c: 1}]", "--set x.y");
  ASSERT_TRUE(list) << ErrorOf(list);
  ASSERT_EQ(list->kind, Kind::kSequence);
  EXPECT_EQ(list->line, 0u);
  EXPECT_EQ(list->origin, "--set x.y");
  EXPECT_TRUE(list->children[1].second.quoted);
  const SettingsNode& c = At(list->children[2].second, "c");
  EXPECT_EQ(c.scalar, "1");
  EXPECT_EQ(c.line, 0u);
  EXPECT_EQ(c.origin, "--set x.y");
  auto empty = ParseYamlValue("", "--set x");
  ASSERT_TRUE(empty) << ErrorOf(empty);
  EXPECT_EQ(empty->kind, Kind::kNull);
  auto flag = ParseYamlValue("false", "--set x");
  ASSERT_TRUE(flag) << ErrorOf(flag);
  EXPECT_EQ(flag->scalar, "false");
  EXPECT_FALSE(flag->quoted);
  EXPECT_EQ(ErrorOf(ParseYamlValue("{a: 1", "--set x")),
            "--set x: 1:1: YAML syntax error: end of map flow not found");
  EXPECT_EQ(ErrorOf(ParseYamlValue("{a: 1, a: 2}", "--set x")),
            "--set x: a: duplicate key 'a' (first at line 1)");
}

TEST(YamlDocument, EmittedTextParsesToTheSameTree) {
  const char* text =
      "top:\n"
      "  n: 12\n"
      "  s: \"12\"\n"
      "  t: 'true'\n"
      "  e: ''\n"
      "  z: ~\n"
      "  colon: \"a: b\"\n"
      "  list: [1, [2, 3], {k: v}]\n"
      "  empty_list: []\n"
      "  empty_map: {}\n"
      "  \"key with: colon\": x\n"
      "  unicode: \"h\xc3\xa9llo\"\n";
  auto doc = ParseYamlDocument(text, "f.yaml");
  ASSERT_TRUE(doc) << ErrorOf(doc);
  const std::string emitted = EmitYaml(*doc);
  auto again = ParseYamlDocument(emitted, "emitted.yaml");
  ASSERT_TRUE(again) << ErrorOf(again) << "\n" << emitted;
  EXPECT_TRUE(SameContent(*doc, *again)) << emitted;
  EXPECT_EQ(EmitYaml(*again), emitted);
  EXPECT_THAT(emitted, HasSubstr("empty_list: []\n"));
  EXPECT_THAT(emitted, HasSubstr("s: \"12\"\n"));
}

}  // namespace
}  // namespace optimystic::runtime::config
