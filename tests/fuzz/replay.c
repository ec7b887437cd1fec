/* replay.c — the main() of a fuzz driver built without libFuzzer (gcc, or clang without
 * -fsanitize=fuzzer): feeds every file named on the command line, and every file inside a named
 * directory, to LLVMFuzzerTestOneInput once, in name order, as ctest's fuzz/NAME tests do with the
 * committed corpora. A crash, a sanitizer report or a hang fails the test; the driver's own
 * checks abort. Exit 1 when a path cannot be read or holds no input at all, so an emptied corpus
 * fails instead of passing on nothing. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf)
        return -1;
    /* an exact-size copy, so a read past the end is caught by ASan */
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = run_file(names[i]);
        if (rc < 0)
            count = -1;
        else if (count >= 0)
            count += rc;
        free(names[i]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv)
{
    int total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int rc = stat(argv[i], &st) ? (perror(argv[i]), -1)
                 : S_ISDIR(st.st_mode) ? run_dir(argv[i])
                                       : run_file(argv[i]);
        if (rc < 0)
            return 1;
        total += rc;
    }
    printf("%s: %d input(s) replayed\n", argv[0], total);
    return total > 0 ? 0 : 1;
}
