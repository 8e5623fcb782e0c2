// SPDX-License-Identifier: Apache-2.0
#include "runtime/config/yaml_document.h"

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace optimystic::runtime::config {
namespace {

using optimystic::config::Settings;
using optimystic::config::SettingsNode;
using Kind = SettingsNode::Kind;

// A configuration is small; these bound recursive aliases (&a [*a]) and alias bombs.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxNodes = 100000;

uint32_t OneBased(int zero_based) {
  return zero_based < 0 ? 0 : static_cast<uint32_t>(zero_based) + 1;
}

// "name:line:col: what"; "line:col: what" without a name.
std::string Located(std::string_view name, const YAML::Mark& mark, std::string_view what) {
  std::string out(name);
  if (mark.line >= 0) {
    out += (out.empty() ? "" : ":") + std::to_string(OneBased(mark.line)) + ':' +
           std::to_string(OneBased(mark.column));
  }
  return out + (out.empty() ? "" : ": ") + std::string(what);
}

std::string ChildPath(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

// Turns one yaml-cpp document into a SettingsNode tree. Error messages are made by Settings so
// that they read like every other configuration error.
class Converter {
 public:
  explicit Converter(std::string_view file) : file_(file) {}

  // `fallback` is where an empty value is reported: yaml-cpp marks an empty value at the next
  // token, often on the next line, so the key's position is used instead.
  Result<SettingsNode> Convert(const YAML::Node& node, const std::string& path, int depth,
                               const YAML::Mark& fallback) {
    SettingsNode out;
    const YAML::Mark mark = node.IsNull() ? fallback : node.Mark();
    out.line = OneBased(mark.line);
    out.column = mark.line < 0 ? 0 : OneBased(mark.column);
    if (++count_ > kMaxNodes) {
      return Error(out, path, "more than " + std::to_string(kMaxNodes) + " values");
    }
    if (depth > kMaxDepth) {
      return Error(out, path, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        out.kind = Kind::kScalar;
        out.scalar = node.Scalar();
        out.quoted = node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
        return out;
      case YAML::NodeType::Sequence:
        return ConvertSequence(node, std::move(out), path, depth);
      case YAML::NodeType::Map:
        return ConvertMap(node, std::move(out), path, depth);
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        break;
    }
    return out;
  }

 private:
  Result<SettingsNode> ConvertSequence(const YAML::Node& node, SettingsNode out,
                                       const std::string& path, int depth) {
    out.kind = Kind::kSequence;
    const YAML::Mark mark = node.Mark();
    for (const YAML::Node& item : node) {
      std::string item_path = path + "[" + std::to_string(out.children.size()) + "]";
      OPTIMYSTIC_ASSIGN_OR_RETURN(SettingsNode child, Convert(item, item_path, depth + 1, mark));
      out.children.emplace_back(std::string(), std::move(child));
    }
    return out;
  }

  Result<SettingsNode> ConvertMap(const YAML::Node& node, SettingsNode out, const std::string& path,
                                  int depth) {
    out.kind = Kind::kMap;
    std::unordered_map<std::string, uint32_t> key_lines;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      SettingsNode key_place;
      key_place.line = OneBased(key.Mark().line);
      key_place.column = OneBased(key.Mark().column);
      if (!key.IsScalar()) {
        return Error(key_place, path, "a map key must be a scalar, not a list, a map or empty");
      }
      const std::string& name = key.Scalar();
      auto [it, inserted] = key_lines.emplace(name, key_place.line);
      if (!inserted) {
        return Error(
            key_place, ChildPath(path, name),
            "duplicate key '" + name + "' (first at line " + std::to_string(it->second) + ")");
      }
      OPTIMYSTIC_ASSIGN_OR_RETURN(
          SettingsNode child, Convert(entry.second, ChildPath(path, name), depth + 1, key.Mark()));
      if (child.kind == Kind::kMap || child.kind == Kind::kSequence) {
        // A block collection starts on the next line; its key is where a reader looks.
        child.line = key_place.line;
        child.column = key_place.column;
      }
      out.children.emplace_back(name, std::move(child));
    }
    return out;
  }

  Status Error(const SettingsNode& place, const std::string& path, std::string_view what) const {
    return Settings(&place, path, file_).Error(what);
  }

  std::string_view file_;
  size_t count_ = 0;
};

// Loads the single document in `text`; null when there is none. Throws YAML::Exception.
Result<SettingsNode> LoadSingleDocument(std::string_view text, std::string_view name) {
  std::vector<YAML::Node> documents = YAML::LoadAll(std::string(text));
  if (documents.empty()) {
    return SettingsNode{};
  }
  if (documents.size() > 1) {
    return Status::InvalidArgument(
        Located(name, documents[1].Mark(), "expected one YAML document, found more"));
  }
  return Converter(name).Convert(documents[0], "", 0, documents[0].Mark());
}

// ParseYamlDocument and ParseYamlValue share this; `name` (may be empty) starts every message.
Result<SettingsNode> ParseText(std::string_view text, std::string_view name) {
  try {
    return LoadSingleDocument(text, name);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(Located(name, e.mark, "YAML syntax error: " + e.msg));
  }
}

void MarkOrigin(SettingsNode& node, const std::string& origin) {
  node.line = 0;
  node.column = 0;
  node.origin = origin;
  for (auto& entry : node.children) {
    MarkOrigin(entry.second, origin);
  }
}

void EmitNode(YAML::Emitter& out, const SettingsNode& node) {
  switch (node.kind) {
    case Kind::kNull:
      out << YAML::Null;
      return;
    case Kind::kScalar:
      if (node.quoted) {
        out << YAML::DoubleQuoted;
      }
      out << node.scalar;
      return;
    case Kind::kSequence:
      if (node.children.empty()) {
        out << YAML::Flow;
      }
      out << YAML::BeginSeq;
      for (const auto& entry : node.children) {
        EmitNode(out, entry.second);
      }
      out << YAML::EndSeq;
      return;
    case Kind::kMap:
      if (node.children.empty()) {
        out << YAML::Flow;
      }
      out << YAML::BeginMap;
      for (const auto& [key, value] : node.children) {
        out << YAML::Key << key << YAML::Value;
        EmitNode(out, value);
      }
      out << YAML::EndMap;
      return;
  }
}

}  // namespace

Result<SettingsNode> ParseYamlDocument(std::string_view text, std::string_view name) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(SettingsNode root, ParseText(text, name));
  if (root.kind == Kind::kNull) {
    return Status::InvalidArgument(std::string(name) + ": empty configuration");
  }
  return root;
}

Result<SettingsNode> ParseYamlValue(std::string_view text, std::string_view origin) {
  // The value has no file; its messages start with the origin instead ("--set a.b: 1:4: ...").
  Result<SettingsNode> value = ParseText(text, "");
  if (!value) {
    return value.error().WithContext(origin);
  }
  MarkOrigin(*value, std::string(origin));
  return value;
}

std::string EmitYaml(const SettingsNode& node) {
  try {
    YAML::Emitter out;
    EmitNode(out, node);
    if (!out.good()) {
      return "# YAML emitter error: " + out.GetLastError() + "\n";
    }
    return std::string(out.c_str()) + "\n";
  } catch (const YAML::Exception& e) {
    return "# YAML emitter error: " + e.msg + "\n";
  }
}

}  // namespace optimystic::runtime::config
