#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift cannot import.
static inline sqlite3_destructor_type mapc_sqlite_transient(void) { return SQLITE_TRANSIENT; }
// SQLITE_STATIC: SQLite uses the caller's buffer as is, which must stay valid until the next step ends.
static inline sqlite3_destructor_type mapc_sqlite_static(void) { return SQLITE_STATIC; }
