/* SPDX-License-Identifier: Apache-2.0 */
/* The SDK's version numbers. OPTIMYSTIC_SDK_HASH is the SHA-256 of every other header under
 * include/optimystic/ (sorted by path); the test `abi.sdk_hash` recomputes it and fails when the
 * SDK changed without a bump. After a deliberate change run scripts/update-sdk-hash. */
#ifndef OPTIMYSTIC_ABI_ABI_VERSION_H_
#define OPTIMYSTIC_ABI_ABI_VERSION_H_

#define OPTIMYSTIC_ABI_MAJOR 1
#define OPTIMYSTIC_ABI_MINOR 2
#define OPTIMYSTIC_SDK_VERSION "0.1.0"
#define OPTIMYSTIC_SDK_HASH "b3927d5746be420f9b753f8a94da5d212e61f582e075d0c65aff67586fb9b667"

#endif /* OPTIMYSTIC_ABI_ABI_VERSION_H_ */
