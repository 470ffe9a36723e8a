#ifndef SWIFT_LXC_SHIM_H
#define SWIFT_LXC_SHIM_H

/* attach_options.h uses EBADF without including <errno.h>. */
#include <errno.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <lxc/attach_options.h>
#include <lxc/lxccontainer.h>
#include <lxc/version.h>

/* LXC_ATTACH_OPTIONS_DEFAULT is a macro initialiser that Swift cannot import:
 * taking it from the header keeps fields added by later LXC versions set. */
static inline lxc_attach_options_t clxc_attach_options_default(void) {
    lxc_attach_options_t options = LXC_ATTACH_OPTIONS_DEFAULT;
    return options;
}

/* The wait-status macros of <sys/wait.h> are not imported into Swift. */
static inline int clxc_wifexited(int status) { return WIFEXITED(status); }
static inline int clxc_wexitstatus(int status) { return WEXITSTATUS(status); }
static inline int clxc_wifsignaled(int status) { return WIFSIGNALED(status); }
static inline int clxc_wtermsig(int status) { return WTERMSIG(status); }

/* memfd_create is declared by glibc only under _GNU_SOURCE, which Swift's Glibc module does
 * not define. MFD_CLOEXEC is 1. */
static inline int clxc_memfd_create(const char *name) {
    return (int)syscall(SYS_memfd_create, name, 1U);
}

/* Backing stores: the filesystem type (statfs f_type) of a path, or -1 with errno set.
 * <sys/statfs.h> is not part of Swift's Glibc module. */
#include <sys/statfs.h>
static inline long clxc_filesystem_type(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0)
        return -1;
    return (long)info.f_type;
}

#endif
