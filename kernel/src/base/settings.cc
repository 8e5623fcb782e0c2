// SPDX-License-Identifier: Apache-2.0
#include <optimystic/config/settings.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace optimystic::config {

const SettingsNode* SettingsNode::Find(std::string_view key) const noexcept {
  if (kind != Kind::kMap) return nullptr;
  for (const auto& [k, v] : children) {
    if (k == key) return &v;
  }
  return nullptr;
}

SettingsNode* SettingsNode::Find(std::string_view key) noexcept {
  return const_cast<SettingsNode*>(std::as_const(*this).Find(key));
}

Settings::Settings(const SettingsNode* node, std::string path, std::string_view file) noexcept
    : node_(node),
      path_(std::move(path)),
      file_(file),
      line_(node ? node->line : 0),
      column_(node ? node->column : 0),
      origin_(node ? std::string_view(node->origin) : std::string_view()) {}

Settings::Kind Settings::kind() const noexcept { return node_ ? node_->kind : Kind::kNull; }

std::string Settings::Where() const {
  std::string out;
  if (!file_.empty()) {
    out += file_;
    if (line_ > 0) {
      out += ':' + std::to_string(line_) + ':' + std::to_string(column_);
    }
    out += ": ";
  }
  if (line_ == 0 && !origin_.empty()) {
    out += "(" + std::string(origin_) + ") ";
  }
  out += path_.empty() ? std::string("<root>") : path_;
  return out;
}

Status Settings::Error(std::string_view what) const {
  return Status::InvalidArgument(Where() + ": " + std::string(what));
}

std::string Settings::ChildPath(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

void Settings::InheritPlaceIfMissing(const Settings& parent) noexcept {
  // A missing value is reported where its parent is (in the file, or in the --set that made it).
  if (node_ != nullptr) return;
  line_ = parent.line_;
  column_ = parent.column_;
  origin_ = parent.origin_;
}

Settings Settings::Get(std::string_view key) const {
  const SettingsNode* child = node_ ? node_->Find(key) : nullptr;
  Settings view(child, ChildPath(key), file_);
  view.InheritPlaceIfMissing(*this);
  return view;
}

bool Settings::Has(std::string_view key) const noexcept {
  return node_ != nullptr && node_->Find(key) != nullptr;
}

std::vector<std::string> Settings::Keys() const {
  std::vector<std::string> keys;
  if (kind() != Kind::kMap) return keys;
  for (const auto& entry : node_->children) keys.push_back(entry.first);
  return keys;
}

size_t Settings::size() const noexcept {
  if (node_ == nullptr) return 0;
  if (node_->kind != Kind::kMap && node_->kind != Kind::kSequence) return 0;
  return node_->children.size();
}

Settings Settings::At(size_t index) const {
  const SettingsNode* child =
      (kind() == Kind::kSequence && index < node_->children.size()) ? &node_->children[index].second
                                                                     : nullptr;
  Settings view(child, path_ + "[" + std::to_string(index) + "]", file_);
  view.InheritPlaceIfMissing(*this);
  return view;
}

Status Settings::TypeError(std::string_view expected) const {
  std::string got;
  switch (kind()) {
    case Kind::kNull: got = "nothing"; break;
    case Kind::kScalar: got = "'" + node_->scalar + "'"; break;
    case Kind::kSequence: got = "a list"; break;
    case Kind::kMap: got = "a map"; break;
  }
  return Error("expected " + std::string(expected) + ", got " + got);
}

Result<std::string> Settings::AsString() const {
  if (kind() != Kind::kScalar) return TypeError("a string");
  return node_->scalar;
}

Result<int64_t> Settings::AsInt() const {
  if (kind() != Kind::kScalar || node_->quoted) return TypeError("an integer");
  const std::string& s = node_->scalar;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc::result_out_of_range) return Error("integer out of range: " + s);
  if (ec != std::errc() || ptr != s.data() + s.size()) return TypeError("an integer");
  return value;
}

Result<uint64_t> Settings::AsUint() const {
  OPTIMYSTIC_ASSIGN_OR_RETURN(int64_t value, AsInt());
  if (value < 0) return Error("expected a non-negative integer, got " + node_->scalar);
  return static_cast<uint64_t>(value);
}

Result<double> Settings::AsDouble() const {
  if (kind() != Kind::kScalar || node_->quoted) return TypeError("a number");
  const std::string& s = node_->scalar;
  if (s.empty()) return TypeError("a number");
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(value)) {
    return TypeError("a number");
  }
  return value;
}

Result<bool> Settings::AsBool() const {
  if (kind() != Kind::kScalar || node_->quoted) return TypeError("true or false");
  std::string s = node_->scalar;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  return TypeError("true or false");
}

Result<std::vector<std::string>> Settings::AsStringList() const {
  if (kind() != Kind::kSequence) return TypeError("a list of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < size(); ++i) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::string item, At(i).AsString());
    out.push_back(std::move(item));
  }
  return out;
}

Result<std::string> Settings::GetString(std::string_view key, std::string_view fallback) const {
  Settings v = Get(key);
  if (!v.present()) return std::string(fallback);
  return v.AsString();
}

Result<int64_t> Settings::GetInt(std::string_view key, int64_t fallback) const {
  Settings v = Get(key);
  if (!v.present()) return fallback;
  return v.AsInt();
}

Result<uint64_t> Settings::GetUint(std::string_view key, uint64_t fallback) const {
  Settings v = Get(key);
  if (!v.present()) return fallback;
  return v.AsUint();
}

Result<double> Settings::GetDouble(std::string_view key, double fallback) const {
  Settings v = Get(key);
  if (!v.present()) return fallback;
  return v.AsDouble();
}

Result<bool> Settings::GetBool(std::string_view key, bool fallback) const {
  Settings v = Get(key);
  if (!v.present()) return fallback;
  return v.AsBool();
}

Result<std::string> Settings::RequireString(std::string_view key) const {
  Settings v = Get(key);
  if (!v.present()) return v.Error("missing required key");
  return v.AsString();
}

Status Settings::CheckKeys(std::initializer_list<std::string_view> allowed) const {
  std::vector<std::string> list(allowed.begin(), allowed.end());
  return CheckKeys(list);
}

Status Settings::CheckKeys(const std::vector<std::string>& allowed) const {
  if (!present()) return Status::Ok();
  if (kind() != Kind::kMap) return TypeError("a map");
  for (const auto& [key, value] : node_->children) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    Settings bad(&value, ChildPath(key), file_);
    return bad.Error("unknown key '" + key + "' (allowed: " + (list.empty() ? "none" : list) +
                     ")");
  }
  return Status::Ok();
}

}  // namespace optimystic::config
