// OpenSSL headers for the Crypto module (the only importer). One-shot SHA1 and HMAC avoid the
// OpenSSL 3 deprecated context APIs.
#include <openssl/sha.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
