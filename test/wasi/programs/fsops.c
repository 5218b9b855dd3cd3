// Changes of every kind the writable layer must keep: a directory made, filled, renamed
// with its contents; a hard link; times set; a file read through a symlink of the image.
// Run with "check", or again in the same container (when /e is already there), it reports
// what it finds instead.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) { printf("%s: missing\n", path); return; }
  printf("%s: %s size=%lld nlink=%llu mtime=%lld\n", path, S_ISDIR(st.st_mode) ? "dir" : "file", (long long)st.st_size, (unsigned long long)st.st_nlink, (long long)st.st_mtim.tv_sec);
}

int main(int argc, char **argv) {
  struct stat e;
  if ((argc > 1 && !strcmp(argv[1], "check")) || stat("/e", &e) == 0) {
    show("/d");
    show("/e/sub/f");
    show("/e/hard");
    FILE *f = fopen("/e/hard", "r");
    char buf[64] = {0};
    if (f) { fgets(buf, sizeof buf, f); fclose(f); }
    printf("hard says: %s", buf);
    return 0;
  }
  FILE *l = fopen("/link.txt", "r");
  char buf[64] = {0};
  if (l) { fgets(buf, sizeof buf, l); fclose(l); }
  printf("through the link: %s", buf);
  if (mkdir("/d", 0755) || mkdir("/d/sub", 0755)) { perror("mkdir"); return 1; }
  FILE *f = fopen("/d/sub/f", "w");
  fputs("contents\n", f);
  fclose(f);
  if (rename("/d", "/e")) { perror("rename dir"); return 1; }
  if (link("/e/sub/f", "/e/hard")) perror("link");
  struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
  if (utimensat(AT_FDCWD, "/e/sub/f", times, 0)) perror("utimensat");
  show("/e/sub/f");
  return 0;
}
