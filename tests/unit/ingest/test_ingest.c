/* test_ingest.c — finding a source's files in a folder (aps_ingest_discover): every folder and
 * file is visited once, by device and inode, so that a symbolic link back up the tree (a loop),
 * a second link to one folder, or a link to a file already found is noted once and not followed
 * or read again; the files come sorted, and a dangling link or a folder too deep is passed over;
 * several paths add up to one list in which each folder and file is met once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest/ingest.h"

#include "../support/loader_fixture.h"

static void make_folder(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void make_link(const char *target, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    assert_int_equal(symlink(target, path), 0);
}

/* The football-data files under tmpdir/rel; the folder's path in folder (cap 128). */
static void discover(const char *rel, char *folder, struct aps_ingest_found *f)
{
    snprintf(folder, 128, "%s/%s", tmpdir, rel);
    assert_int_equal(aps_ingest_discover(APS_SOURCE_FOOTBALL_DATA, folder, f), 0);
}

/* The number of notes that contain text. */
static size_t notes_with(const struct aps_ingest_found *f, const char *text)
{
    size_t n = 0;
    for (size_t i = 0; i < f->nnotes; i++)
        n += strstr(f->notes[i], text) != NULL;
    return n;
}

static void test_links_are_followed_once(void **state)
{
    (void)state;
    /* d1/1213_E0.csv, d1/a/1314_E0.csv; d1/sub/loop -> .. and d1/x -> . (loops); d1/b -> a (a
     * second way to a folder); d1/latest.csv -> 1213_E0.csv (a second way to a file); a link
     * to nothing; a link to a folder outside d1 that holds a file. */
    make_folder("d1");
    make_folder("d1/a");
    make_folder("d1/sub");
    make_folder("outside");
    write_file("d1/1213_E0.csv", "Div\n");
    write_file("d1/a/1314_E0.csv", "Div\n");
    write_file("d1/notes.txt", "not a csv\n");
    write_file("outside/1415_E0.csv", "Div\n");
    make_link("..", "d1/sub/loop");
    make_link(".", "d1/x");
    make_link("a", "d1/b");
    make_link("1213_E0.csv", "d1/latest.csv");
    make_link("nowhere.csv", "d1/dangling.csv");
    make_link("../outside", "d1/z");
    char folder[128], want[512];
    struct aps_ingest_found f;
    discover("d1", folder, &f);
    for (size_t i = 0; i < f.n; i++)
        print_message("file %s\n", f.paths[i]);
    for (size_t i = 0; i < f.nnotes; i++)
        print_message("note %s\n", f.notes[i]);
    assert_int_equal(f.n, 3);
    snprintf(want, sizeof want, "%s/1213_E0.csv", folder);
    assert_string_equal(f.paths[0], want);
    snprintf(want, sizeof want, "%s/a/1314_E0.csv", folder);
    assert_string_equal(f.paths[1], want);
    snprintf(want, sizeof want, "%s/z/1415_E0.csv", folder);
    assert_string_equal(f.paths[2], want);
    assert_int_equal(f.nnotes, 4);
    snprintf(want, sizeof want, "%s/sub/loop: a link back to %s (a loop); not followed", folder,
             folder);
    assert_int_equal(notes_with(&f, want), 1);
    snprintf(want, sizeof want, "%s/x: a link back to %s (a loop); not followed", folder, folder);
    assert_int_equal(notes_with(&f, want), 1);
    snprintf(want, sizeof want, "%s/b: the same folder as %s/a; searched once", folder, folder);
    assert_int_equal(notes_with(&f, want), 1);
    snprintf(want, sizeof want, "%s/latest.csv: the same file as %s/1213_E0.csv; read once", folder,
             folder);
    assert_int_equal(notes_with(&f, want), 1);
    aps_ingest_found_free(&f);
    aps_ingest_found_free(&f); /* safe on the zeroed struct it leaves */
}

/* A link to the folder above the one searched leads back into it: the walk meets the searched
 * folder again one level down, notes the loop and goes no further. */
static void test_link_above_the_root(void **state)
{
    (void)state;
    make_folder("top");
    make_folder("top/E0");
    write_file("top/E0/1516_E0.csv", "Div\n");
    make_link("..", "top/E0/up");
    char folder[128];
    struct aps_ingest_found f;
    discover("top/E0", folder, &f);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.nnotes, 1);
    assert_int_equal(notes_with(&f, "/top/E0/up/E0: a link back to "), 1);
    aps_ingest_found_free(&f);
}

/* Folders nest eight deep at most; the walk does not go into a ninth. */
static void test_depth_limit(void **state)
{
    (void)state;
    char rel[256] = "deep";
    make_folder(rel);
    for (int d = 1; d <= 9; d++) {
        size_t len = strlen(rel);
        snprintf(rel + len, sizeof rel - len, "/%d", d);
        make_folder(rel);
        char name[300];
        snprintf(name, sizeof name, "%s/1617_E0.csv", rel);
        write_file(name, "Div\n");
    }
    char folder[128];
    struct aps_ingest_found f;
    discover("deep", folder, &f);
    assert_int_equal(f.n, 8);
    assert_int_equal(f.nnotes, 0);
    aps_ingest_found_free(&f);
}

static void test_file_and_errors(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/single.csv", tmpdir);
    write_file("single.csv", "Div\n");
    struct aps_ingest_found f;
    assert_int_equal(aps_ingest_discover(APS_SOURCE_FOOTBALL_DATA, path, &f), 0);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.paths[0], path);
    aps_ingest_found_free(&f);
    snprintf(path, sizeof path, "%s/missing", tmpdir);
    assert_int_equal(aps_ingest_discover(APS_SOURCE_FOOTBALL_DATA, path, &f), APS_E_NOTFOUND);
    assert_int_equal(f.n, 0);
    assert_int_equal(aps_ingest_discover(APS_SOURCE__COUNT, tmpdir, &f), APS_E_INVAL);
    assert_int_equal(aps_ingest_discover(APS_SOURCE_FOOTBALL_DATA, "/dev/null", &f),
                     APS_E_UNSUPPORTED);
}

/* Several paths into one list (aps_ingest_discover_add): a subfolder after its folder, the folder
 * after its subfolder and a file given twice add nothing again, each noted; each path's files
 * come after the earlier paths' ones, sorted among themselves. */
static void test_paths_add_up(void **state)
{
    (void)state;
    make_folder("m");
    make_folder("m/sub");
    write_file("m/1819_E0.csv", "Div\n");
    write_file("m/sub/1718_E0.csv", "Div\n");
    char m[128], sub[160], file[160], want[512];
    snprintf(m, sizeof m, "%s/m", tmpdir);
    snprintf(sub, sizeof sub, "%s/sub", m);
    snprintf(file, sizeof file, "%s/1819_E0.csv", m);
    const char *const orders[2][3] = {{m, sub, file}, {sub, m, file}};
    for (int o = 0; o < 2; o++) {
        struct aps_ingest_found f = {0};
        for (int i = 0; i < 3; i++)
            assert_int_equal(aps_ingest_discover_add(APS_SOURCE_FOOTBALL_DATA, orders[o][i], &f),
                             0);
        assert_int_equal(f.n, 2);
        snprintf(want, sizeof want, "%s/1718_E0.csv", sub);
        assert_string_equal(f.paths[o ? 0 : 1], want);
        assert_string_equal(f.paths[o ? 1 : 0], file);
        assert_int_equal(f.nnotes, 2);
        snprintf(want, sizeof want, "%s: reached twice; searched once", sub);
        assert_int_equal(notes_with(&f, want), 1);
        snprintf(want, sizeof want, "%s: reached twice; read once", file);
        assert_int_equal(notes_with(&f, want), 1);
        aps_ingest_found_free(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_links_are_followed_once),
        cmocka_unit_test(test_link_above_the_root),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_file_and_errors),
        cmocka_unit_test(test_paths_add_up),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
