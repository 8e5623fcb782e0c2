// SPDX-License-Identifier: Apache-2.0
// Command-line overrides of the configuration: `--set section.key=value` replaces (or creates)
// the value at a dotted path of any depth, e.g. `storage.settings.sync=false`. The value is
// parsed as YAML, so `12`, `false` and `[a, b]` keep their types. Every node an override creates
// or replaces has line 0 and origin "--set <path>", so that later errors say where it came from.
// Thread-safety: stateless; callable from any thread.
// Errors: InvalidArgument naming the override: a missing '=', an empty key or key component, a
// value that is not valid YAML, or a path that runs through a value which is not a map.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/config/settings.h>

#include <string>
#include <string_view>
#include <vector>

namespace optimystic::runtime::config {

// `root` with every override of `overrides` applied in order; later ones win. `file` names the
// configuration file in messages about its values. REQUIRES: root is a map.
Result<optimystic::config::SettingsNode> ApplyOverrides(optimystic::config::SettingsNode root,
                                                        const std::vector<std::string>& overrides,
                                                        std::string_view file);

}  // namespace optimystic::runtime::config
