/*
 * test_fsconfine.c - opening a file named by untrusted input beneath a root (base/fsconfine.h):
 * names with "..", absolute names, empty or "." components are refused before any file is
 * touched, and a symbolic link anywhere on the way (file or directory, pointing out of the root
 * or even inside it) is never followed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsconfine.h"
#include "base/limits.h"
#include "harness.h"

static char g_root[512];
static char g_outside[512];

/* root/ok.png, root/sub/deep.png, outside/secret.png, and links from root to outside. */
static void make_tree(void)
{
    const char *tmp = lo_test_tmpdir();
    char p[700];
    snprintf(g_root, sizeof(g_root), "%s/root", tmp);
    snprintf(g_outside, sizeof(g_outside), "%s/outside", tmp);
    mkdir(g_root, 0700);
    mkdir(g_outside, 0700);
    snprintf(p, sizeof(p), "%s/sub", g_root);
    mkdir(p, 0700);
    const char *files[] = { "root/ok.png", "root/sub/deep.png", "outside/secret.png" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s", tmp, files[i]);
        FILE *f = fopen(p, "w");
        if (f) {
            fputs(files[i], f);
            fclose(f);
        }
    }
    char target[700];
    snprintf(target, sizeof(target), "%s/secret.png", g_outside);
    snprintf(p, sizeof(p), "%s/link.png", g_root);
    unlink(p);
    if (symlink(target, p) != 0)
        perror("symlink");
    snprintf(p, sizeof(p), "%s/linkdir", g_root);
    unlink(p);
    if (symlink(g_outside, p) != 0)
        perror("symlink");
    snprintf(target, sizeof(target), "%s/ok.png", g_root);
    snprintf(p, sizeof(p), "%s/inner-link.png", g_root);
    unlink(p);
    if (symlink(target, p) != 0)
        perror("symlink");
}

static int open_rel(const char *rel, struct lo_confined_file *f)
{
    struct lo_error err;
    lo_error_clear(&err);
    int rc = lo_open_beneath(g_root, rel, strlen(rel), 1 << 20, f, &err);
    if (rc == 0)
        close(f->fd);
    return rc;
}

static void test_names_are_checked_before_any_open(void)
{
    CHECK(lo_confined_name_ok("a.png", 5));
    CHECK(lo_confined_name_ok("dir/sub/a.png", 13));
    CHECK(lo_confined_name_ok("..a.png", 7)); /* a name that starts with dots is a name */
    CHECK(!lo_confined_name_ok("", 0));
    CHECK(!lo_confined_name_ok("/etc/passwd", 11));
    CHECK(!lo_confined_name_ok("../x.png", 8));
    CHECK(!lo_confined_name_ok("a/../../x.png", 13));
    CHECK(!lo_confined_name_ok("a/..", 4));
    CHECK(!lo_confined_name_ok("./a.png", 7));
    CHECK(!lo_confined_name_ok("a//b.png", 8));
    CHECK(!lo_confined_name_ok("a/", 2));
    CHECK(!lo_confined_name_ok("a\\..\\b.png", 10));
    CHECK(!lo_confined_name_ok("a\0b", 3)); /* a NUL inside the name */
    CHECK(!lo_confined_name_ok("a\nb", 3));
    char longname[LO_LIMIT_MEDIA_PATH + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    CHECK(!lo_confined_name_ok(longname, strlen(longname)));
}

static void test_a_file_beneath_the_root_opens(void)
{
    make_tree();
    struct lo_confined_file f;
    CHECK_INT(open_rel("ok.png", &f), 0);
    CHECK_INT(f.size, strlen("root/ok.png"));
    CHECK_INT(open_rel("sub/deep.png", &f), 0);
}

static void test_traversal_and_absolute_names_are_refused(void)
{
    make_tree();
    struct lo_confined_file f;
    CHECK_INT(open_rel("../outside/secret.png", &f), LO_EINVAL);
    CHECK_INT(open_rel("sub/../../outside/secret.png", &f), LO_EINVAL);
    char abs[700];
    snprintf(abs, sizeof(abs), "%s/secret.png", g_outside);
    CHECK_INT(open_rel(abs, &f), LO_EINVAL);
}

static void test_symbolic_links_are_never_followed(void)
{
    make_tree();
    struct lo_confined_file f;
    CHECK_INT(open_rel("link.png", &f), LO_ENOTFOUND);           /* to a file outside */
    CHECK_INT(open_rel("linkdir/secret.png", &f), LO_ENOTFOUND); /* through a directory link */
    CHECK_INT(open_rel("inner-link.png", &f), LO_ENOTFOUND);     /* even one that stays inside */
}

static void test_directories_missing_files_and_size_limit(void)
{
    make_tree();
    struct lo_confined_file f;
    CHECK_INT(open_rel("sub", &f), LO_ENOTFOUND);
    CHECK_INT(open_rel("none.png", &f), LO_ENOTFOUND);
    CHECK_INT(open_rel("none/x.png", &f), LO_ENOTFOUND);
    struct lo_error err;
    lo_error_clear(&err);
    CHECK_INT(lo_open_beneath(g_root, "ok.png", 6, 3, &f, &err), LO_ELIMIT);
    CHECK(strstr(err.msg, g_root) == NULL); /* messages never name the root */
    lo_error_clear(&err);
    CHECK_INT(lo_open_beneath("/nonexistent-root-dir", "ok.png", 6, 100, &f, &err), LO_EIO);
    CHECK(strstr(err.msg, "nonexistent") == NULL);
}

int main(int argc, char **argv)
{
    static const struct lo_test tests[] = {
        LO_T(test_names_are_checked_before_any_open),
        LO_T(test_a_file_beneath_the_root_opens),
        LO_T(test_traversal_and_absolute_names_are_refused),
        LO_T(test_symbolic_links_are_never_followed),
        LO_T(test_directories_missing_files_and_size_limit),
    };
    return lo_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
