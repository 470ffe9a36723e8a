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

/* Files moved by a process inside a running container (an ordinary user's: only a process in the
 * container's user namespace may give files to the container's ids). liblxc's attach runs
 * clxc_file_job_run in the attached child, a fork of a multithreaded process: system calls on
 * the job's memory only. `fd` is this side's descriptor: the source when copying in, where the
 * file goes when copying out (a memory file: first the file's mode as 4 bytes, then its bytes).
 * Paths resolve inside the container as its own programs resolve them (its root is the root).
 * The result is 0 or an errno, the process's exit code. */
struct clxc_file_job {
    const char *path;
    /* When copying in and `path` is a directory: the name to give the file inside it. */
    const char *leaf;
    int fd;
    int into;
    unsigned int mode;
    unsigned int uid;
    unsigned int gid;
};

#include <fcntl.h>
#include <sys/stat.h>

static inline int clxc_file_job_copy(int from, int to) {
    char buffer[16384];
    for (;;) {
        ssize_t got = read(from, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return errno;
        if (got == 0) return 0;
        char *next = buffer;
        while (got > 0) {
            ssize_t put = write(to, next, (size_t)got);
            if (put < 0 && errno == EINTR) continue;
            if (put < 0) return errno;
            next += put;
            got -= put;
        }
    }
}

static inline int clxc_file_job_run(void *raw) {
    struct clxc_file_job *job = (struct clxc_file_job *)raw;
    if (!job || !job->path) return EINVAL;
    struct stat info;
    if (job->into) {
        const char *path = job->path;
        char joined[4096];
        if (job->leaf && stat(path, &info) == 0 && S_ISDIR(info.st_mode)) {
            size_t a = strlen(path), b = strlen(job->leaf);
            if (a + b + 2 > sizeof joined) return ENAMETOOLONG;
            memcpy(joined, path, a);
            joined[a] = '/';
            memcpy(joined + a + 1, job->leaf, b + 1);
            path = joined;
        }
        int out = open(path, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
        if (out < 0) return errno;
        int result = 0;
        if (fstat(out, &info) != 0) result = errno;
        else if (!S_ISREG(info.st_mode)) result = S_ISDIR(info.st_mode) ? EISDIR : EINVAL;
        else if (ftruncate(out, 0) != 0) result = errno;
        else if (fchown(out, job->uid, job->gid) != 0) result = errno;
        else if ((result = clxc_file_job_copy(job->fd, out)) == 0 && fchmod(out, job->mode & 07777) != 0) result = errno;
        if (close(out) != 0 && result == 0) result = errno;
        return result;
    }
    int in = open(job->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (in < 0) return errno;
    int result = 0;
    if (fstat(in, &info) != 0) result = errno;
    else if (!S_ISREG(info.st_mode)) result = S_ISDIR(info.st_mode) ? EISDIR : EINVAL;
    else {
        unsigned int mode = (unsigned int)info.st_mode;
        if (write(job->fd, &mode, sizeof mode) != (ssize_t)sizeof mode) result = EIO;
        else result = clxc_file_job_copy(in, job->fd);
    }
    close(in);
    return result;
}

/* A memory file for a job's bytes (memfd_create, MFD_CLOEXEC); -1 with errno on failure. */
static inline int clxc_memory_file(void) {
#ifdef SYS_memfd_create
    return (int)syscall(SYS_memfd_create, "swift-lxc-file", 1U);
#else
    errno = ENOSYS;
    return -1;
#endif
}

#endif
