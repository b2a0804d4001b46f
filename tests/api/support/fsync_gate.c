/* An LD_PRELOAD shim for the durability tests: fdatasync() and fsync() on a file whose
 * name ends in "-wal" wait until the file named by $NATTER_FSYNC_GATE exists. While one
 * waits, the file $NATTER_FSYNC_GATE.waiting exists. When the file named by
 * $NATTER_FSYNC_FAIL exists, the next such call removes it and fails with EIO instead.
 * Every other call goes straight through. It lets a test hold the WAL's fsync and see
 * whether the server answers before it, or make one fsync fail. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int is_wal(int fd) {
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 4) return 0;
    path[n] = 0;
    return strcmp(path + n - 4, "-wal") == 0;
}

/* 1 when this call is the one to fail (the fail file existed and is now removed). */
static int fail_now(int fd) {
    const char *fail = getenv("NATTER_FSYNC_FAIL");
    return fail && is_wal(fd) && unlink(fail) == 0;
}

static void wait_for_gate(int fd) {
    const char *gate = getenv("NATTER_FSYNC_GATE");
    if (!gate || !is_wal(fd)) return;
    char waiting[4096];
    snprintf(waiting, sizeof waiting, "%s.waiting", gate);
    while (access(gate, F_OK) != 0) {
        int w = open(waiting, O_CREAT | O_WRONLY, 0600);
        if (w >= 0) close(w);
        usleep(10000);
    }
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (fail_now(fd)) { errno = EIO; return -1; }
    wait_for_gate(fd);
    return real(fd);
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (fail_now(fd)) { errno = EIO; return -1; }
    wait_for_gate(fd);
    return real(fd);
}
