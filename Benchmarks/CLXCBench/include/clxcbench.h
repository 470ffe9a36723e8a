#ifndef CLXCBENCH_H
#define CLXCBENCH_H

#include <stdint.h>

/* The floor the Swift binding is compared against: the same work through liblxc, from C.
 * Each function repeats one operation `iterations` times and returns the nanoseconds it took,
 * or -1 when an operation failed. */

/* lxc_container_new + is_defined + state + lxc_container_put. */
int64_t cbench_handle(const char *name, const char *lxcpath, int iterations);

/* get_config_item(key) on one handle, into a stack buffer. */
int64_t cbench_config_get(const char *name, const char *lxcpath, const char *key, int iterations);

/* list_all_containers with handles, each put, arrays freed. Stores the count in *count. */
int64_t cbench_list_all(const char *lxcpath, int iterations, int *count);

/* list_all_containers, names only, each freed. Stores the count in *count. */
int64_t cbench_list_names(const char *lxcpath, int iterations, int *count);

/* start, wait RUNNING, stop, wait STOPPED. */
int64_t cbench_lifecycle(const char *name, const char *lxcpath, int iterations);

/* The lifecycle as a C program does it that leaves no cgroup behind: after each start it
 * writes itself back into the cgroups it was in (`procs_files`: the cgroup.procs file of
 * each, NULL-terminated), as the library does, so the monitor can remove its cgroups at stop. */
int64_t cbench_lifecycle_rejoining(const char *name, const char *lxcpath, const char *const procs_files[], int iterations);

/* create from the busybox template (quiet), set net type empty, destroy. */
int64_t cbench_create_destroy(const char *name, const char *lxcpath, int iterations);

/* attach_run_wait of argv on a running container (default attach options), on one handle
 * made at the first call and kept until cbench_attach_done. */
int64_t cbench_attach_run(const char *name, const char *lxcpath, const char *const argv[], int iterations);
void cbench_attach_done(void);

/* Runs one of the functions above in a child process and returns its result: liblxc's start
 * moves the calling process into the container's monitor cgroup, which must not happen to the
 * benchmark itself. kind: 0 lifecycle, 1 create_destroy, 2 lifecycle_rejoining (the only
 * one that reads `procs_files`, which may be NULL otherwise; it needs no child, since it
 * leaves the caller where it was, but may run in one). */
int64_t cbench_isolated(int kind, const char *name, const char *lxcpath, const char *const procs_files[], int iterations);

#endif
