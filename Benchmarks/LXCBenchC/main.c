/* lxc-bench-c: the benchmark's C floor as a program of its own, measured as a user of liblxc
 * from C would run it (not inside the Swift benchmark's process, whose size its forks pay for).
 * The same functions as the in-process floor (Benchmarks/CLXCBench), one scenario per run:
 *
 *     lxc-bench-c [--rounds R] [--label NAME] [--threads 1|2] KIND LXCPATH ITERATIONS [ARGUMENTS...]
 *
 *     handle NAME                   config_get NAME KEY
 *     list_names DIRECTORY          list_handles DIRECTORY
 *     lifecycle NAME                lifecycle_rejoining NAME PROCS_FILE...
 *     attach_run NAME PROGRAM...    create_destroy NAME
 *
 * (for the list kinds LXCPATH is the directory listed). After a warm-up of a tenth of the
 * iterations, each round runs ITERATIONS operations; the line printed has the median round:
 *
 *     scenario=NAME n=N per_op_us=X
 *
 * NAME is --label, or KIND. `--threads 2` starts an idle second thread first, as every program
 * that uses the Swift library has (see attach_run below); the default is 1, a plain C program.
 *
 * attach_run and threads: liblxc 5.0.2's attach first tries to enter the container's
 * namespaces in one setns(2) on the init's pidfd, which the kernel allows only in a
 * single-threaded process; otherwise it opens, enters and closes each /proc/PID/ns file
 * (seven openat2 and setns more per attach here). In a single-threaded program the fast path
 * also leaves the pidfd open in the caller, one descriptor per attach. lxc-bench runs it once per round of each scenario; it can also be
 * run by hand against containers made with lxc-create. Exit status 1 when an operation failed. */
#include "clxcbench.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int compare(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void *idle(void *unused) {
    (void)unused;
    for (;;) pause();
    return NULL;
}

static int usage(void) {
    fprintf(stderr, "usage: lxc-bench-c [--rounds R] [--label NAME] [--threads 1|2] KIND LXCPATH ITERATIONS [ARGUMENTS...]\n"
                    "kinds: handle NAME | config_get NAME KEY | list_names | list_handles | lifecycle NAME |\n"
                    "       lifecycle_rejoining NAME PROCS_FILE... | attach_run NAME PROGRAM... | create_destroy NAME\n");
    return 2;
}

/* One block of `n` operations of `kind`: nanoseconds, or -1 when one failed. */
static int64_t run(const char *kind, const char *lxcpath, int n, int argc, char **argv) {
    int count = 0;
    if (!strcmp(kind, "handle") && argc >= 1) return cbench_handle(argv[0], lxcpath, n);
    if (!strcmp(kind, "config_get") && argc >= 2) return cbench_config_get(argv[0], lxcpath, argv[1], n);
    if (!strcmp(kind, "list_names")) return cbench_list_names(lxcpath, n, &count);
    if (!strcmp(kind, "list_handles")) return cbench_list_all(lxcpath, n, &count);
    if (!strcmp(kind, "lifecycle") && argc >= 1) return cbench_lifecycle(argv[0], lxcpath, n);
    if (!strcmp(kind, "lifecycle_rejoining") && argc >= 1)
        return cbench_lifecycle_rejoining(argv[0], lxcpath, (const char *const *)argv + 1, n);
    if (!strcmp(kind, "attach_run") && argc >= 2)
        return cbench_attach_run(argv[0], lxcpath, (const char *const *)argv + 1, n);
    if (!strcmp(kind, "create_destroy") && argc >= 1) return cbench_create_destroy(argv[0], lxcpath, n);
    return -2;
}

int main(int argc, char **argv) {
    int rounds = 1, threads = 1;
    const char *label = NULL;
    int index = 1;
    while (index + 1 < argc && !strncmp(argv[index], "--", 2)) {
        if (!strcmp(argv[index], "--rounds")) rounds = atoi(argv[index + 1]);
        else if (!strcmp(argv[index], "--label")) label = argv[index + 1];
        else if (!strcmp(argv[index], "--threads")) threads = atoi(argv[index + 1]);
        else return usage();
        index += 2;
    }
    if (argc - index < 3 || rounds < 1 || threads < 1 || threads > 2) return usage();
    pthread_t thread;
    if (threads == 2 && pthread_create(&thread, NULL, idle, NULL) != 0) return 1;
    const char *kind = argv[index];
    const char *lxcpath = argv[index + 1];
    int iterations = atoi(argv[index + 2]);
    if (iterations < 1) return usage();
    int rest = argc - index - 3;
    char **arguments = argv + index + 3; /* NULL-terminated, as argv is */

    int warmup = iterations / 10 > 0 ? iterations / 10 : 1;
    int64_t result = run(kind, lxcpath, warmup, rest, arguments);
    if (result == -2) return usage();
    int64_t *times = calloc((size_t)rounds, sizeof(int64_t));
    if (!times) return 1;
    for (int round = 0; round < rounds && result >= 0; round++) {
        result = run(kind, lxcpath, iterations, rest, arguments);
        times[round] = result;
    }
    cbench_attach_done();
    if (result < 0) {
        fprintf(stderr, "lxc-bench-c: %s failed\n", kind);
        return 1;
    }
    qsort(times, (size_t)rounds, sizeof(int64_t), compare);
    double median = rounds % 2 ? (double)times[rounds / 2] : ((double)times[rounds / 2 - 1] + (double)times[rounds / 2]) / 2;
    printf("scenario=%s n=%d per_op_us=%.3f\n", label ? label : kind, iterations, median / iterations / 1000.0);
    free(times);
    return 0;
}
