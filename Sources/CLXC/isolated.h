#ifndef SWIFT_LXC_ISOLATED_H
#define SWIFT_LXC_ISOLATED_H

/* Running one liblxc call in a single-threaded child process.
 *
 * liblxc makes some of its helper processes (rsync for a directory copy, mkfs for a loop
 * file, the user-namespace helpers) with a raw clone3 system call, which skips glibc's fork
 * handlers. In a process with many threads, the helper inherits every lock that another
 * thread held at that moment (stdio's list of open files, a malloc arena) and waits for it
 * for ever as soon as it opens a file: seen with a snapshot while another thread opened a
 * file. A child made by glibc's fork() has those locks reset and only one thread, so liblxc's
 * raw clones inside it are safe. These calls are therefore made in such a child, which
 * reports the result through a pipe and exits.
 *
 * Everything the child runs is C: no Swift runtime lock can be held in it.
 *
 * The child also resets the handle's in-memory lock (liblxc's privlock, an anonymous
 * semaphore) which another thread of the parent may have held at the moment of the fork; the
 * layout of struct lxc_lock is liblxc's (lxclock.h, not installed), unchanged since LXC 1.0. */

#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <lxc/lxccontainer.h>

enum clxc_isolated_operation {
    CLXC_ISOLATED_CREATE = 1,
    CLXC_ISOLATED_CLONE = 2,
    CLXC_ISOLATED_SNAPSHOT = 3,
    CLXC_ISOLATED_SNAPSHOT_RESTORE = 4,
    CLXC_ISOLATED_SNAPSHOT_DESTROY = 5,
    CLXC_ISOLATED_SNAPSHOT_DESTROY_ALL = 6,
    CLXC_ISOLATED_RENAME = 7,
    CLXC_ISOLATED_DESTROY = 8,
    CLXC_ISOLATED_DESTROY_WITH_SNAPSHOTS = 9,
    CLXC_ISOLATED_START = 10,
};

/* The arguments of one call; which fields are read depends on the operation. */
struct clxc_isolated_call {
    int operation;
    const char *name;         /* create: template; clone, rename, restore: new name; snapshot destroy: snapshot */
    const char *path;         /* clone: lxcpath; snapshot: comment file; restore: snapshot name */
    int flags;                /* create, clone; start: use lxc-init */
    const char *bdevtype;     /* create, clone */
    const char *bdevdata;     /* clone */
    uint64_t newsize;         /* clone */
    char **arguments;         /* create: template arguments; clone: hook arguments; start: init command */
    struct bdev_specs *specs; /* create */
};

/* What the child reported. */
struct clxc_isolated_result {
    int value;            /* the call's return value: a bool as 0/1, or snapshot's number */
    int error_num;        /* c->error_num after the call */
    int reported;         /* 1 when the child reported; 0 when it ended first */
    int status;           /* the child's wait status */
    char error_string[1024]; /* c->error_string after the call, truncated; "" when unset */
};

/* The part of liblxc's struct lxc_lock this needs. */
struct clxc_lxc_lock_layout {
    short type;
    union {
        sem_t *sem;
        struct { int fd; char *fname; } f;
    } u;
};
#define CLXC_LXC_LOCK_ANON_SEM 1

static inline int clxc_isolated_perform(struct lxc_container *c, const struct clxc_isolated_call *call) {
    switch (call->operation) {
    case CLXC_ISOLATED_CREATE:
        if (!c->create) return 0;
        return c->create(c, call->name, call->bdevtype, call->specs, call->flags, call->arguments) ? 1 : 0;
    case CLXC_ISOLATED_CLONE: {
        if (!c->clone) return 0;
        struct lxc_container *made = c->clone(c, call->name, call->path, call->flags, call->bdevtype,
                                              call->bdevdata, call->newsize, call->arguments);
        if (!made) return 0;
        lxc_container_put(made);
        return 1;
    }
    case CLXC_ISOLATED_SNAPSHOT:
        if (!c->snapshot) return -1;
        return c->snapshot(c, call->path);
    case CLXC_ISOLATED_SNAPSHOT_RESTORE:
        if (!c->snapshot_restore) return 0;
        return c->snapshot_restore(c, call->path, call->name) ? 1 : 0;
    case CLXC_ISOLATED_SNAPSHOT_DESTROY:
        if (!c->snapshot_destroy) return 0;
        return c->snapshot_destroy(c, call->name) ? 1 : 0;
    case CLXC_ISOLATED_SNAPSHOT_DESTROY_ALL:
        if (!c->snapshot_destroy_all) return 0;
        return c->snapshot_destroy_all(c) ? 1 : 0;
    case CLXC_ISOLATED_RENAME:
        if (!c->rename) return 0;
        return c->rename(c, call->name) ? 1 : 0;
    case CLXC_ISOLATED_DESTROY:
        if (!c->destroy) return 0;
        return c->destroy(c) ? 1 : 0;
    case CLXC_ISOLATED_DESTROY_WITH_SNAPSHOTS:
        if (!c->destroy_with_snapshots) return 0;
        return c->destroy_with_snapshots(c) ? 1 : 0;
    case CLXC_ISOLATED_START:
        if (!c->start) return 0;
        return c->start(c, call->flags, call->arguments) ? 1 : 0;
    }
    return 0;
}

/* Forks the child that makes the call. Returns 0 with the child's pid and the descriptor its
 * report arrives on, or the errno of pipe or fork. */
static inline int clxc_isolated_spawn(struct lxc_container *c, const struct clxc_isolated_call *call,
                                      pid_t *child, int *report_fd) {
    int fds[2];
    if (syscall(SYS_pipe2, fds, O_CLOEXEC) < 0) /* pipe2 needs _GNU_SOURCE */
        return errno;
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(fds[0]);
        close(fds[1]);
        return error;
    }
    if (pid == 0) {
        close(fds[0]);
        struct clxc_lxc_lock_layout *lock = (struct clxc_lxc_lock_layout *)c->privlock;
        if (lock && lock->type == CLXC_LXC_LOCK_ANON_SEM && lock->u.sem)
            sem_init(lock->u.sem, 0, 1);
        struct clxc_isolated_result report;
        memset(&report, 0, sizeof(report));
        report.value = clxc_isolated_perform(c, call);
        report.error_num = c->error_num;
        if (c->error_string)
            snprintf(report.error_string, sizeof(report.error_string), "%s", c->error_string);
        report.reported = 1;
        const char *bytes = (const char *)&report;
        size_t left = sizeof(report);
        while (left > 0) {
            ssize_t written = write(fds[1], bytes, left);
            if (written < 0) {
                if (errno == EINTR) continue;
                break;
            }
            bytes += written;
            left -= (size_t)written;
        }
        _exit(0);
    }
    close(fds[1]);
    *child = pid;
    *report_fd = fds[0];
    return 0;
}

/* Reads the child's report, closes the descriptor and reaps the child. Returns 0 (with
 * result->reported saying whether the child reported) or the errno of waitpid. */
static inline int clxc_isolated_wait(pid_t pid, int report_fd, struct clxc_isolated_result *result) {
    struct clxc_isolated_result report;
    memset(&report, 0, sizeof(report));
    memset(result, 0, sizeof(*result));
    char *bytes = (char *)&report;
    size_t got = 0;
    while (got < sizeof(report)) {
        ssize_t count = read(report_fd, bytes + got, sizeof(report) - got);
        if (count < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (count == 0) break;
        got += (size_t)count;
    }
    close(report_fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno == EINTR)
            continue;
        /* A process that ignores SIGCHLD has its children reaped by the kernel: ECHILD, and
         * the report is all there is. */
        if (errno == ECHILD && got == sizeof(report)) {
            *result = report;
            result->reported = 1;
            return 0;
        }
        return errno;
    }
    if (got == sizeof(report))
        *result = report;
    result->reported = got == sizeof(report) ? 1 : 0;
    result->status = status;
    return 0;
}

#endif
