// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/block_id.h>

#include <optimystic/base/base32.h>

#include <array>
#include <string_view>

namespace optimystic::block {

BlockId NewBlockId(base::RandomSource& random) {
  std::array<uint8_t, kBlockIdBytes> bytes{};
  random.Fill(bytes.data(), bytes.size());
  return base::Base32Encode(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace optimystic::block
