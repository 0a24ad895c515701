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
#include <stdlib.h>
#include <string.h>

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

// Ciphertext sink: the write BIO under a server SSL (Crypto/TLSSession.swift). OpenSSL's memory BIO
// makes the reactor copy every record twice more (into the BIO, then out into a buffer for
// write(2)); this sink keeps the records in one flat buffer that write(2) reads in place
// (cos_sink_peek/cos_sink_consume), and frees it once drained, so an idle connection holds none.
typedef struct { unsigned char *data; size_t start, end, cap; } cos_sink;

static inline int cos_sink_write(BIO *b, const char *in, int n) {
    cos_sink *s = (cos_sink *)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (n <= 0) return 0;
    if (s->start == s->end) s->start = s->end = 0;
    if (s->end + (size_t)n > s->cap) {
        size_t live = s->end - s->start;
        if (s->start > 0) { memmove(s->data, s->data + s->start, live); s->start = 0; s->end = live; }
        if (live + (size_t)n > s->cap) {
            size_t cap = s->cap ? s->cap : 4096;
            while (cap < live + (size_t)n) cap *= 2;
            unsigned char *p = (unsigned char *)realloc(s->data, cap);
            if (!p) return -1;
            s->data = p;
            s->cap = cap;
        }
    }
    memcpy(s->data + s->end, in, (size_t)n);
    s->end += (size_t)n;
    return n;
}

static inline long cos_sink_ctrl(BIO *b, int cmd, long num, void *ptr) {
    (void)num; (void)ptr;
    cos_sink *s = (cos_sink *)BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_PENDING: case BIO_CTRL_WPENDING: return (long)(s->end - s->start);
    case BIO_CTRL_FLUSH: return 1;
    default: return 0;
    }
}

static inline int cos_sink_create(BIO *b) {
    cos_sink *s = (cos_sink *)calloc(1, sizeof(cos_sink));
    if (!s) return 0;
    BIO_set_data(b, s);
    BIO_set_init(b, 1);
    return 1;
}

static inline int cos_sink_destroy(BIO *b) {
    cos_sink *s = (cos_sink *)BIO_get_data(b);
    if (s) { free(s->data); free(s); }
    BIO_set_data(b, NULL);
    return 1;
}

/// Made once per process (Crypto keeps it in a global).
static inline BIO_METHOD *cos_sink_method_new(void) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "switchboard ciphertext sink");
    if (!m) return NULL;
    BIO_meth_set_write(m, cos_sink_write);
    BIO_meth_set_ctrl(m, cos_sink_ctrl);
    BIO_meth_set_create(m, cos_sink_create);
    BIO_meth_set_destroy(m, cos_sink_destroy);
    return m;
}

/// The ciphertext not yet consumed, in place.
static inline const unsigned char *cos_sink_peek(BIO *b, size_t *length) {
    cos_sink *s = (cos_sink *)BIO_get_data(b);
    *length = s->end - s->start;
    return s->data + s->start;
}

/// Drops `n` bytes written to the socket; frees the buffer once nothing is left.
static inline void cos_sink_consume(BIO *b, size_t n) {
    cos_sink *s = (cos_sink *)BIO_get_data(b);
    s->start += n < s->end - s->start ? n : s->end - s->start;
    if (s->start == s->end) {
        free(s->data);
        s->data = NULL;
        s->start = s->end = s->cap = 0;
    }
}
