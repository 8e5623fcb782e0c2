/* SPDX-License-Identifier: Apache-2.0 */
/* The SDK's version numbers. OPTIMYSTIC_SDK_HASH is the SHA-256 of every other header under
 * include/optimystic/ (sorted by path); the test `abi.sdk_hash` recomputes it and fails when the
 * SDK changed without a bump. After a deliberate change run scripts/update-sdk-hash. */
#ifndef OPTIMYSTIC_ABI_ABI_VERSION_H_
#define OPTIMYSTIC_ABI_ABI_VERSION_H_

#define OPTIMYSTIC_ABI_MAJOR 1
#define OPTIMYSTIC_ABI_MINOR 2
#define OPTIMYSTIC_SDK_VERSION "0.1.0"
#define OPTIMYSTIC_SDK_HASH "332968f4dd8f92a881339c197b322aafeb9b83f5f7cb8915587e90236777b8ef"

#endif /* OPTIMYSTIC_ABI_ABI_VERSION_H_ */
