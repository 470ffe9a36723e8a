#ifndef SWIFT_LXC_SHIM_H
#define SWIFT_LXC_SHIM_H

/* attach_options.h uses EBADF without including <errno.h>. */
#include <errno.h>
#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <signal.h>
#include <string.h>
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

/* resources: devices */

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <string.h>
#include <stdlib.h>
#include <limits.h>

/* Forks a child that has chrooted into /proc/PID/root, so that no symbolic link inside the
 * container reaches the host's files, with a pipe for its report. In the parent, returns the
 * child's pid (or -1 with errno); in the child, returns 0 with `*root_error` the errno of a
 * failed chroot (0 when it worked), and the child writes its report to pipefd[1]. */
static inline pid_t clxc_fork_into_root(pid_t pid, int pipefd[2], int *root_error) {
    char root[64];
    snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
    if (pipe(pipefd) < 0)
        return -1;
    fcntl(pipefd[0], F_SETFD, FD_CLOEXEC);
    fcntl(pipefd[1], F_SETFD, FD_CLOEXEC);
    pid_t child = fork();
    if (child < 0) {
        int error = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        errno = error;
        return -1;
    }
    if (child == 0) {
        close(pipefd[0]);
        *root_error = (chroot(root) < 0 || chdir("/") < 0) ? errno : 0;
        return 0;
    }
    close(pipefd[1]);
    return child;
}

/* Reads the report of a child of clxc_fork_into_root, closes the pipe and reaps the child.
 * Returns 0, or ECHILD when the child ended without a whole report. */
static inline int clxc_collect_from_root(pid_t child, int pipefd[2], void *report, size_t size) {
    ssize_t got;
    do {
        got = read(pipefd[0], report, size);
    } while (got < 0 && errno == EINTR);
    close(pipefd[0]);
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    return got == (ssize_t)size ? 0 : ECHILD;
}

/* Creates (add != 0) or removes the device node `path` inside the root filesystem of the
 * process `pid`, the way liblxc's do_add_remove_node does it: a child process chroots into
 * /proc/PID/root, so that symbolic links inside the container cannot point the node at the
 * host's files, creates the missing parent directories and makes the node. liblxc 5.0.2's
 * add_device_node stats the destination path on the host instead of the source, so it cannot
 * add a device at a path the host does not have; the library uses this for that case.
 * Unlike liblxc, it replaces or removes only a device node: a regular file, directory or
 * symbolic link at `path` is left alone and the call returns EEXIST (adding) or ENODEV
 * (removing). Everything after fork() is async-signal-safe, which Swift code cannot promise.
 * Returns 0, or the errno of the step that failed. */
static inline int clxc_device_node_in_root(pid_t pid, const char *path, int add, mode_t mode, dev_t device) {
    char directories[PATH_MAX];
    size_t length = strlen(path);
    if (length == 0 || length >= sizeof(directories) || path[0] != '/')
        return EINVAL;
    memcpy(directories, path, length + 1);
    int pipefd[2];
    int result = 0;
    pid_t child = clxc_fork_into_root(pid, pipefd, &result);
    if (child < 0)
        return errno;
    if (child == 0) {
        if (result == 0) {
            struct stat existing;
            if (lstat(path, &existing) == 0) {
                if (!S_ISCHR(existing.st_mode) && !S_ISBLK(existing.st_mode))
                    result = add ? EEXIST : ENODEV;
                else if (unlink(path) < 0)
                    result = errno;
            } else if (errno != ENOENT) {
                result = errno;
            }
        }
        if (result == 0 && add) {
            for (char *slash = strchr(directories + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                if (mkdir(directories, 0755) < 0 && errno != EEXIST) {
                    result = errno;
                    break;
                }
                *slash = '/';
            }
            if (result == 0 && mknod(path, mode, device) < 0)
                result = errno;
        }
        (void)!write(pipefd[1], &result, sizeof(result));
        _exit(result == 0 ? 0 : 1);
    }
    result = ECHILD;
    if (clxc_collect_from_root(child, pipefd, &result, sizeof(result)) != 0)
        return ECHILD;
    return result;
}

/* What is at `path` inside the root filesystem of the process `pid`, without following a
 * final symbolic link: a child process chroots into /proc/PID/root, as liblxc's
 * do_add_remove_node does, so that the path resolves as it will when liblxc (or the helper
 * above) acts on it, and no link inside the container reaches the host. Returns 0 with
 * `*mode` set, or an errno (ENOENT when nothing is there). */
static inline int clxc_lstat_in_root(pid_t pid, const char *path, mode_t *mode) {
    struct { int error; mode_t mode; } report = { ECHILD, 0 };
    if (path[0] != '/')
        return EINVAL;
    int pipefd[2];
    int root_error = 0;
    pid_t child = clxc_fork_into_root(pid, pipefd, &root_error);
    if (child < 0)
        return errno;
    if (child == 0) {
        struct stat info;
        report.error = root_error;
        report.mode = 0;
        if (report.error == 0) {
            if (lstat(path, &info) < 0)
                report.error = errno;
            else
                report.mode = info.st_mode;
        }
        (void)!write(pipefd[1], &report, sizeof(report));
        _exit(0);
    }
    if (clxc_collect_from_root(child, pipefd, &report, sizeof(report)) != 0)
        return ECHILD;
    *mode = report.mode;
    return report.error;
}

static inline unsigned int clxc_major(dev_t device) { return major(device); }
static inline unsigned int clxc_minor(dev_t device) { return minor(device); }

/* attach */

/* pipe2 is declared by glibc only under _GNU_SOURCE. Both ends are close-on-exec, so that
 * no program run by a concurrent attach inherits them past its exec. */
static inline int clxc_pipe_cloexec(int fds[2]) {
    return (int)syscall(SYS_pipe2, fds, O_CLOEXEC);
}

/* The same, with both ends non-blocking: for the exec report pipe, whose reader must not wait
 * for other forks that still hold the write end, and whose writer writes five bytes at most
 * into an empty pipe. One system call instead of three. */
static inline int clxc_pipe_cloexec_nonblocking(int fds[2]) {
    return (int)syscall(SYS_pipe2, fds, O_CLOEXEC | O_NONBLOCK);
}

/* Marks every descriptor from `first` up close-on-exec, in the attached child just before it
 * execs. liblxc and other code in this process open descriptors without O_CLOEXEC (liblxc's
 * run_command pipes, say); one that another thread had open when attach forked would reach
 * the program and keep the pipe's reader waiting for an end of file until the program ends.
 * close_range(CLOSE_RANGE_CLOEXEC) needs Linux 5.11; before that, fcntl on each possible
 * descriptor. Only system calls: the caller is a fork of a multithreaded process. */
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
static inline void clxc_cloexec_from(int first) {
    if (syscall(SYS_close_range, (unsigned int)first, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) == 0) return;
    long limit = sysconf(_SC_OPEN_MAX);
    if (limit < 0 || limit > 65536) limit = 65536;
    for (int fd = first; fd < (int)limit; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0 && !(flags & FD_CLOEXEC)) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

/* Undoes what the attached child inherited from the calling thread and should not pass on
 * through exec: the thread's blocked signals (the threads of Swift's concurrency pool and of
 * dispatch block nearly all of them: SIGTERM would not end the program) and an ignored
 * SIGPIPE. Async-signal-safe calls on stack memory only. */
static inline void clxc_reset_signals_for_exec(void) {
    sigset_t none;
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    (void)sigaction(SIGPIPE, &action, NULL);
}

/* In the attached child: whether it is in `directory`, entering it when it is not. liblxc
 * changes to `initial_cwd` in its transient process, as root and before the user switch, and
 * only warns when that fails (the program then starts in the container's /). Comparing the
 * current directory with `directory` keeps a directory that liblxc entered for a user who
 * could not enter it himself; otherwise chdir says why it cannot be entered. The current
 * directory is compared by its absolute path (getcwd), because "." cannot be looked up in a
 * directory the user may not search. Returns 0, or the errno. System calls on stack memory
 * only. */
static inline int clxc_enter_working_directory(const char *directory) {
    char current_path[4096];
    struct stat wanted, current;
    long length = syscall(SYS_getcwd, current_path, sizeof(current_path));
    if (length > 0 && current_path[0] == '/' && stat(current_path, &current) == 0 &&
        stat(directory, &wanted) == 0 &&
        wanted.st_dev == current.st_dev && wanted.st_ino == current.st_ino)
        return 0;
    return chdir(directory) == 0 ? 0 : errno;
}

/* Binds, in the calling process, every libc function that the attached child calls through
 * this image's PLT (clxc_reset_signals_for_exec, clxc_cloexec_from, the exec functions in
 * AttachSpawn.swift). Executables are linked for lazy binding unless they ask otherwise, and
 * a PLT slot is bound by its first call: one that this process never calls (execvp, above
 * all) would be bound by the dynamic linker in every forked child anew, with the page faults
 * of its code and of the written GOT page: about 60 us of each attach on a quiet machine,
 * measured with LD_BIND_NOW. Measured again on 2026-12-07 with it switched off
 * (`perf stat -e task-clock,page-faults lxc-bench --rounds 1 --swift attach_run LXCPATH 300
 * NAME true`, three pairs on a loaded machine): 20 page faults more per attach (58.5k against
 * 51.7k) and 1-6 % more CPU time in every pair; in lxc-bench's attach_run on that machine the
 * difference stayed inside the noise (single runs 1.06-1.13 of C without it, 1.07-1.08 with).
 * Each call below has no effect: an empty file name fails with ENOENT (execvp's before any
 * system call), the rest only read state or get EBADF. errno is kept. */
static inline void clxc_bind_attach_child_calls(void) {
    int saved = errno;
    sigset_t set;
    sigemptyset(&set);
    (void)sigprocmask(SIG_BLOCK, NULL, &set);
    struct sigaction action;
    (void)sigaction(SIGPIPE, NULL, &action);
    (void)syscall(SYS_getpid);
    (void)sysconf(_SC_OPEN_MAX);
    (void)fcntl(-1, F_GETFD);
    (void)!write(-1, "", 0);
    (void)close(-1);
    (void)chdir("");
    struct stat status;
    (void)stat("", &status);
    char *const no_arguments[] = {NULL};
    (void)execvp("", no_arguments);
    errno = saved;
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

/* fork guard (see ForkGuard.swift): a mutex taken around every fork of the process by
 * pthread_atfork handlers, and by the library around pthread_create. The handlers are C, so
 * that a forked child runs no Swift code: a Swift global's accessor may wait on the runtime's
 * once-lock, which another thread can hold at the moment of the fork. The mutex is static:
 * only ForkGuard.swift may call these functions, so that the program has one copy of it. */
#include <pthread.h>
static pthread_mutex_t clxc_fork_guard_mutex = PTHREAD_MUTEX_INITIALIZER;
static inline void clxc_fork_guard_lock(void) { pthread_mutex_lock(&clxc_fork_guard_mutex); }
static inline void clxc_fork_guard_unlock(void) { pthread_mutex_unlock(&clxc_fork_guard_mutex); }
static inline int clxc_fork_guard_install(void) {
    return pthread_atfork(clxc_fork_guard_lock, clxc_fork_guard_unlock, clxc_fork_guard_unlock);
}

/* Call logs (see Diagnostics.swift): while a liblxc call runs on a thread, every process that
 * thread forks (liblxc's monitor of a start, its attach helpers, the library's isolated
 * children) writes liblxc's log into a memory file of that call's own instead of the handle's
 * log descriptor. The prepare handler makes the memory file in the parent at the call's first
 * fork; the child handler points the child's copy of the handle's descriptor (`target`) at it,
 * with dup3, only when `target` is still the handle's log (same device and inode), and forgets
 * the call so that the child's own forks inherit the redirected descriptor. The parent's
 * descriptors are never changed. The thread-local pointer is static: only Diagnostics.swift
 * may call these functions, so that the program has one copy of it. */
#include <sys/stat.h>
struct clxc_call_log {
    int fd;       /* the call's memory file; -1 until the call's first fork */
    int target;   /* the handle's log descriptor (liblxc's conf->logfd) */
    dev_t device; /* what `target` refers to while it is the handle's log */
    ino_t inode;
};
static _Thread_local struct clxc_call_log *clxc_current_call_log = NULL;
static inline void clxc_call_log_prepare(void) {
    struct clxc_call_log *log = clxc_current_call_log;
    if (log && log->fd < 0)
        log->fd = clxc_memfd_create("swift-lxc-call-log");
}
static inline void clxc_call_log_child(void) {
    struct clxc_call_log *log = clxc_current_call_log;
    if (!log)
        return;
    clxc_current_call_log = NULL;
    if (log->fd < 0)
        return;
    struct stat info;
    if (fstat(log->target, &info) == 0 && info.st_dev == log->device && info.st_ino == log->inode)
        (void)syscall(SYS_dup3, log->fd, log->target, O_CLOEXEC); /* dup3 needs _GNU_SOURCE */
    (void)close(log->fd);
}
static inline int clxc_call_log_install(void) {
    return pthread_atfork(clxc_call_log_prepare, NULL, clxc_call_log_child);
}
static inline struct clxc_call_log *clxc_call_log_swap(struct clxc_call_log *log) {
    struct clxc_call_log *previous = clxc_current_call_log;
    clxc_current_call_log = log;
    return previous;
}

/* lxc_log_init with a file sets liblxc's lxc_log_use_global_fd, and lxc_log_close does not
 * reset it: liblxc then ignores every handle's own log descriptor for the rest of the process.
 * The flag is a variable that liblxc.so exports (log.c, not in its headers); it is referenced
 * weakly, so that a liblxc without it still loads. Returns 1 when the flag was reset (what
 * lxc_log_init found before), 0 when this liblxc has no such variable. */
#include <stdbool.h>
extern bool lxc_log_use_global_fd __attribute__((weak));
static inline int clxc_log_use_container_descriptors(void) {
    if (&lxc_log_use_global_fd == NULL)
        return 0;
    lxc_log_use_global_fd = false;
    return 1;
}

/* attach fork gate (see ForkGate.swift): liblxc's attach forks once in the calling thread, and
 * only that fork must be kept out of a start's window; what follows it (the wait for the
 * process it forked, which sits in a frozen cgroup for as long as the container is frozen)
 * must not hold starts back. The calling thread arms a thread-local flag before the call;
 * the pthread_atfork parent handler, which runs in the parent right after the fork, in the
 * thread that forked, disarms it and calls back into the library to leave the gate. The
 * child handler only clears the flag, so that a child never calls back (it runs no Swift
 * code). The flag (one per thread) and the callback are statics inside the first two
 * functions; like the fork guard's mutex, only ForkGate.swift may call these functions, so
 * that the program has one copy of them. */
static inline int *clxc_attach_fork_armed(void) {
    static __thread int armed = 0;
    return &armed;
}
static inline void (**clxc_attach_fork_leave(void))(void) {
    static void (*leave)(void) = NULL;
    return &leave;
}
static inline void clxc_attach_fork_parent(void) {
    if (*clxc_attach_fork_armed()) {
        *clxc_attach_fork_armed() = 0;
        void (*leave)(void) = *clxc_attach_fork_leave();
        if (leave) leave();
    }
}
static inline void clxc_attach_fork_child(void) { *clxc_attach_fork_armed() = 0; }
static inline int clxc_attach_fork_install(void (*leave)(void)) {
    *clxc_attach_fork_leave() = leave;
    return pthread_atfork(NULL, clxc_attach_fork_parent, clxc_attach_fork_child);
}
static inline void clxc_attach_fork_arm(void) { *clxc_attach_fork_armed() = 1; }
/* Disarms; returns whether the flag was still armed (no fork happened in this thread). */
static inline int clxc_attach_fork_disarm(void) {
    int armed = *clxc_attach_fork_armed();
    *clxc_attach_fork_armed() = 0;
    return armed;
}

#endif
