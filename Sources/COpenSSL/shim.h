// OpenSSL headers for the Crypto module (the only importer). One-shot SHA1 and HMAC avoid the
// OpenSSL 3 deprecated context APIs.
#include <openssl/sha.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>

// TLS on the reactor's sockets (Crypto/TLS*.swift): SSL with memory BIOs. The macros below are
// wrapped so Swift can call them.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/bio.h>

static inline int cos_ctx_configure(SSL_CTX *ctx) {
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return 0;
    // RELEASE_BUFFERS: an idle TLS connection holds no read/write record buffers.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    return 1;
}

/// ALPN: the server speaks http/1.1 only; a client that offers ALPN without it gets no ALPN
/// answer (and may go on, or give up) rather than a failed handshake.
static inline int cos_alpn_select_http11(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                         const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl; (void)arg;
    static const unsigned char http11[] = "\x08http/1.1";
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, http11, sizeof(http11) - 1, in, inlen) == OPENSSL_NPN_NEGOTIATED) {
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

static inline void cos_ctx_use_http11_alpn(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, cos_alpn_select_http11, NULL);
}

/// 1 if the certificate's notAfter is in the past.
static inline int cos_x509_expired(X509 *cert) {
    return X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
}
