/* SPDX-License-Identifier: Apache-2.0 */
/* The SDK's version numbers. OPTIMYSTIC_SDK_HASH is the SHA-256 of every other header under
 * include/optimystic/ (sorted by path); the test `abi.sdk_hash` recomputes it and fails when the
 * SDK changed without a bump. After a deliberate change run scripts/update-sdk-hash. */
#ifndef OPTIMYSTIC_ABI_ABI_VERSION_H_
#define OPTIMYSTIC_ABI_ABI_VERSION_H_

#define OPTIMYSTIC_ABI_MAJOR 1
#define OPTIMYSTIC_ABI_MINOR 2
#define OPTIMYSTIC_SDK_VERSION "0.1.0"
#define OPTIMYSTIC_SDK_HASH "43fa6b9f654b04a875ba835abdef63f1c93df7bc89e33a69be25cd3fe49d58eb"

#endif /* OPTIMYSTIC_ABI_ABI_VERSION_H_ */
