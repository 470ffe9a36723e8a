#ifndef CLXC_FILES_H
#define CLXC_FILES_H

// openat2(2), which glibc 2.36 does not wrap and Swift cannot call through the variadic syscall(2).

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/// openat2(dirfd, path, {flags, mode, resolve}); -1 with errno on failure (ENOSYS before Linux 5.6).
static inline int clxc_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/// O_PATH, which glibc's <fcntl.h> defines only with _GNU_SOURCE (Linux's value on every architecture).
#ifndef O_PATH
#define O_PATH 010000000
#endif
static inline int clxc_o_path(void) { return O_PATH; }

static inline uint64_t clxc_resolve_in_root(void) { return RESOLVE_IN_ROOT; }
static inline uint64_t clxc_resolve_no_magiclinks(void) { return RESOLVE_NO_MAGICLINKS; }

#endif
