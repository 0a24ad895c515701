// SQLite for the Store module (the only importer). SQLITE_TRANSIENT is a macro casting -1 to a
// function pointer, which Swift cannot import; the inline helpers bind with it.
#include <sqlite3.h>

static inline int sb_sqlite3_bind_text_transient(sqlite3_stmt *s, int i, const char *p, int n) {
    return sqlite3_bind_text(s, i, p, n, SQLITE_TRANSIENT);
}
static inline int sb_sqlite3_bind_blob_transient(sqlite3_stmt *s, int i, const void *p, int n) {
    return sqlite3_bind_blob(s, i, p, n, SQLITE_TRANSIENT);
}
