#ifndef MAPC_CCRYPTO_SHIM_H
#define MAPC_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/sha.h>
#endif
