// zlib for the Deflate module (its only importer). deflateInit2 and inflateInit2 are macros that
// pass the library version and the stream's size: wrapped as functions Swift can call.
#include <zlib.h>

static inline int czlib_deflate_init_raw(z_streamp stream, int level, int windowBits, int memLevel, int strategy) {
    return deflateInit2(stream, level, Z_DEFLATED, -windowBits, memLevel, strategy);
}

static inline int czlib_inflate_init_raw(z_streamp stream, int windowBits) {
    return inflateInit2(stream, -windowBits);
}
