// SPDX-License-Identifier: Apache-2.0
// YAML adapter: the one place where yaml-cpp is called. It turns YAML text into a SettingsNode
// tree (1-based line and column on every node, `quoted` set for quoted or !!str scalars, plain
// ~/null/empty values as kNull) and turns a SettingsNode tree back into YAML text. yaml-cpp
// throws; every exception is caught here and becomes a Status.
// Thread-safety: the functions keep no state and may be called from any thread.
// Errors: InvalidArgument naming the file, line and column: "node.yaml:3:7: YAML syntax error:
// ...", "node.yaml:9:3: storage.plugin: duplicate key 'plugin' (first at line 4)", "node.yaml:
// empty configuration".
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/config/settings.h>

#include <string>
#include <string_view>

namespace optimystic::runtime::config {

// Parses a whole configuration file. `name` stands for the file in messages. A file with no
// document (empty or only comments) is an error, so is more than one document, a duplicate key
// within one map, a map key that is not a scalar, and nesting deeper than 64 levels.
Result<optimystic::config::SettingsNode> ParseYamlDocument(std::string_view text,
                                                           std::string_view name);

// Parses one value given outside a file (a --set override). Every node of the result has line 0
// and `origin` set to `origin`. An empty text is a null value. Errors are prefixed by `origin`.
Result<optimystic::config::SettingsNode> ParseYamlValue(std::string_view text,
                                                        std::string_view origin);

// `node` as block-style YAML text ending in a newline. Quoted scalars are written quoted, so that
// parsing the text again gives the same tree (positions aside).
std::string EmitYaml(const optimystic::config::SettingsNode& node);

}  // namespace optimystic::runtime::config
