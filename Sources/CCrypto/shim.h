#ifndef MAPC_CCRYPTO_SHIM_H
#define MAPC_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/sha.h>
// Webhook signatures (HMAC-SHA256/SHA1) and constant-time comparison.
#include <openssl/hmac.h>
#include <openssl/crypto.h>
// Operator passwords (PBKDF2) and session ids, CSRF tokens and salts (the system CSPRNG).
#include <openssl/rand.h>
#endif
