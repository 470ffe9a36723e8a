#ifndef SWIFT_LXC_SHIM_H
#define SWIFT_LXC_SHIM_H

/* attach_options.h uses EBADF without including <errno.h>. */
#include <errno.h>
#include <fcntl.h>
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

/* attach */

/* pipe2 is declared by glibc only under _GNU_SOURCE. Both ends are close-on-exec, so that
 * no program run by a concurrent attach inherits them past its exec. */
static inline int clxc_pipe_cloexec(int fds[2]) {
    return (int)syscall(SYS_pipe2, fds, O_CLOEXEC);
}

#endif
