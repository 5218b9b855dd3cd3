// Lists a directory (argv[1], default /) with each entry's type and size, and prints
// what stat says of a file (argv[2]) — for the tree the module sees.
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/";
  DIR *d = opendir(dir);
  if (!d) { perror(dir); return 1; }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") ? dir : "", e->d_name);
    struct stat st;
    if (stat(path, &st) != 0) { printf("%s ?\n", e->d_name); continue; }
    printf("%s %s %lld\n", e->d_name, S_ISDIR(st.st_mode) ? "dir" : "file", (long long)(S_ISDIR(st.st_mode) ? 0 : st.st_size));
  }
  closedir(d);
  if (argc > 2) {
    struct stat st;
    if (stat(argv[2], &st) != 0) { perror(argv[2]); return 1; }
    printf("stat %s size=%lld nlink=%llu mtime_after_2000=%d\n", argv[2], (long long)st.st_size, (unsigned long long)st.st_nlink, st.st_mtim.tv_sec > 946684800);
  }
  return 0;
}
