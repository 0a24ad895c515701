// libpq for the Postgres module (the only importer). Debian puts the header under
// /usr/include/postgresql; Package.swift adds that path.
#include <libpq-fe.h>
