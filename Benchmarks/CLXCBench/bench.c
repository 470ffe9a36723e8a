#include "clxcbench.h"

#include <errno.h>
#include <fcntl.h>
#include <lxc/lxccontainer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t cbench_handle(const char *name, const char *lxcpath, int iterations) {
    int64_t start = now_ns();
    for (int i = 0; i < iterations; i++) {
        struct lxc_container *c = lxc_container_new(name, lxcpath);
        if (!c) return -1;
        volatile bool defined = c->is_defined(c);
        volatile const char *state = c->state(c);
        (void)defined; (void)state;
        lxc_container_put(c);
    }
    return now_ns() - start;
}

int64_t cbench_config_get(const char *name, const char *lxcpath, const char *key, int iterations) {
    struct lxc_container *c = lxc_container_new(name, lxcpath);
    if (!c) return -1;
    char buffer[512];
    int64_t start = now_ns();
    for (int i = 0; i < iterations; i++) {
        int length = c->get_config_item(c, key, buffer, sizeof(buffer));
        if (length < 0) { lxc_container_put(c); return -1; }
    }
    int64_t elapsed = now_ns() - start;
    lxc_container_put(c);
    return elapsed;
}

int64_t cbench_list_all(const char *lxcpath, int iterations, int *count) {
    int64_t start = now_ns();
    for (int i = 0; i < iterations; i++) {
        char **names = NULL;
        struct lxc_container **containers = NULL;
        int n = list_all_containers(lxcpath, &names, &containers);
        if (n < 0) return -1;
        for (int j = 0; j < n; j++) {
            free(names[j]);
            lxc_container_put(containers[j]);
        }
        free(names);
        free(containers);
        *count = n;
    }
    return now_ns() - start;
}

int64_t cbench_list_names(const char *lxcpath, int iterations, int *count) {
    int64_t start = now_ns();
    for (int i = 0; i < iterations; i++) {
        char **names = NULL;
        int n = list_all_containers(lxcpath, &names, NULL);
        if (n < 0) return -1;
        for (int j = 0; j < n; j++) free(names[j]);
        free(names);
        *count = n;
    }
    return now_ns() - start;
}

int64_t cbench_lifecycle(const char *name, const char *lxcpath, int iterations) {
    struct lxc_container *c = lxc_container_new(name, lxcpath);
    if (!c) return -1;
    int64_t start = now_ns();
    for (int i = 0; i < iterations; i++) {
        if (!c->start(c, 0, NULL) || !c->wait(c, "RUNNING", 10) ||
            !c->stop(c) || !c->wait(c, "STOPPED", 10)) {
            lxc_container_put(c);
            return -1;
        }
    }
    int64_t elapsed = now_ns() - start;
    lxc_container_put(c);
    return elapsed;
}

/* Writes this process into each cgroup.procs file of `procs_files` (NULL-terminated). */
static void rejoin_cgroups(const char *const procs_files[]) {
    char pid[32];
    int length = snprintf(pid, sizeof(pid), "%d", (int)getpid());
    for (int i = 0; procs_files[i]; i++) {
        int fd = open(procs_files[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t written = write(fd, pid, (size_t)length);
        (void)written;
        close(fd);
    }
}

int64_t cbench_lifecycle_rejoining(const char *name, const char *lxcpath, const char *const procs_files[], int iterations) {
    struct lxc_container *c = lxc_container_new(name, lxcpath);
    if (!c) return -1;
    int64_t start = now_ns();
    for (int i = 0; i < iterations; i++) {
        if (!c->start(c, 0, NULL)) { lxc_container_put(c); return -1; }
        rejoin_cgroups(procs_files);
        if (!c->wait(c, "RUNNING", 10) || !c->stop(c) || !c->wait(c, "STOPPED", 10)) {
            lxc_container_put(c);
            return -1;
        }
    }
    int64_t elapsed = now_ns() - start;
    lxc_container_put(c);
    return elapsed;
}

int64_t cbench_create_destroy(const char *name, const char *lxcpath, int iterations) {
    int64_t start = now_ns();
    for (int i = 0; i < iterations; i++) {
        struct lxc_container *c = lxc_container_new(name, lxcpath);
        if (!c) return -1;
        bool ok = c->create(c, "busybox", NULL, NULL, LXC_CREATE_QUIET, NULL) &&
                  c->set_config_item(c, "lxc.net.0.type", "empty") &&
                  c->destroy(c);
        lxc_container_put(c);
        if (!ok) return -1;
    }
    return now_ns() - start;
}

/* Kept from the first call to cbench_attach_done, as a C program running many commands
 * would keep its handle: called one operation at a time, the floor must not pay for a new
 * handle, nor for a handle's first attach, each time. */
static struct lxc_container *attach_handle;

int64_t cbench_attach_run(const char *name, const char *lxcpath, const char *const argv[], int iterations) {
    if (!attach_handle) attach_handle = lxc_container_new(name, lxcpath);
    struct lxc_container *c = attach_handle;
    if (!c) return -1;
    lxc_attach_options_t options = LXC_ATTACH_OPTIONS_DEFAULT;
    int64_t start = now_ns();
    for (int i = 0; i < iterations; i++) {
        int status = c->attach_run_wait(c, &options, argv[0], argv);
        if (status != 0) return -1;
    }
    return now_ns() - start;
}

void cbench_attach_done(void) {
    if (attach_handle) lxc_container_put(attach_handle);
    attach_handle = NULL;
}

int64_t cbench_isolated(int kind, const char *name, const char *lxcpath, const char *const procs_files[], int iterations) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(fds[0]);
        int64_t result = -1;
        switch (kind) {
        case 0: result = cbench_lifecycle(name, lxcpath, iterations); break;
        case 1: result = cbench_create_destroy(name, lxcpath, iterations); break;
        case 2: result = cbench_lifecycle_rejoining(name, lxcpath, procs_files, iterations); break;
        }
        ssize_t written = write(fds[1], &result, sizeof(result));
        _exit(written == sizeof(result) ? 0 : 1);
    }
    close(fds[1]);
    int64_t result = -1;
    ssize_t got = read(fds[0], &result, sizeof(result));
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (got != sizeof(result) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    return result;
}
