// The few shims that need storage of their own (everything else is static inline in CLinux.h).
#include "CLinux.h"

static _Thread_local const void *sb_current_loop_pointer;

void sb_set_current_loop(const void *loop) { sb_current_loop_pointer = loop; }

const void *sb_current_loop(void) { return sb_current_loop_pointer; }
