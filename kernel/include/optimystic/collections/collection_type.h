// SPDX-License-Identifier: Apache-2.0
// CollectionType: a kind of collection (tree, diary, counter, user-written) offered by a
// collection plugin. The collection engine knows no type; each comes from a plugin that names
// its header block type, the actions it applies and the queries it answers, and its default
// conflict resolver (SPEC.md §5.10).
// Thread-safety: a CollectionType is immutable after Create and may be used from any thread.
// Errors: Create returns InvalidArgument for bad settings.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/config/settings.h>
#include <optimystic/host/host_services.h>

#include <memory>
#include <string_view>

namespace optimystic::collections {

class CollectionType {
 public:
  virtual ~CollectionType() = default;
  // The type name clients use, e.g. "tree".
  virtual std::string_view name() const noexcept = 0;
  // The short code of the collection header block type (SPEC.md §1.3).
  virtual std::string_view header_block_type() const noexcept = 0;
  // The resolver used when YAML names none.
  virtual std::string_view default_resolver() const noexcept = 0;
  // Action handlers and queries are added with the collection engine (TODO(#6)).
};

class CollectionTypeFactory {
 public:
  static constexpr const char* kInterface = "optimystic.collections.CollectionTypeFactory";
  static constexpr uint32_t kVersion = 1;

  virtual std::string_view name() const noexcept = 0;
  virtual Status Validate(const config::Settings& settings) const noexcept = 0;
  virtual Result<std::unique_ptr<CollectionType>> Create(const config::Settings& settings,
                                                         host::HostServices& host) noexcept = 0;

 protected:
  ~CollectionTypeFactory() = default;
};

}  // namespace optimystic::collections
