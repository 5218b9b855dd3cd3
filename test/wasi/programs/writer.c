// Appends a line to /data/log.txt (making /data), then prints the whole file: a second run
// of the same container shows both lines. Also renames, deletes and truncates, so every
// kind of change reaches the writable layer.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *word = argc > 1 ? argv[1] : "run";
  mkdir("/data", 0755);
  FILE *f = fopen("/data/log.txt", "a");
  if (!f) { perror("open /data/log.txt"); return 1; }
  fprintf(f, "line from %s\n", word);
  fclose(f);

  // A file written under a temporary name, then renamed over the final one.
  f = fopen("/data/state.tmp", "w");
  if (!f) { perror("open /data/state.tmp"); return 1; }
  fprintf(f, "last=%s\n", word);
  fclose(f);
  if (rename("/data/state.tmp", "/data/state.txt") != 0) { perror("rename"); return 1; }

  // A scratch file made and removed: it must not be left behind.
  f = fopen("/data/scratch", "w");
  if (f) { fputs("gone\n", f); fclose(f); }
  unlink("/data/scratch");

  // Shrinks a file the image ships (/etc/motd, if there).
  truncate("/etc/motd", 5);

  f = fopen("/data/log.txt", "r");
  if (!f) { perror("reopen"); return 1; }
  char buf[256];
  while (fgets(buf, sizeof buf, f)) fputs(buf, stdout);
  fclose(f);
  struct stat st;
  if (stat("/data/state.txt", &st) == 0) printf("state.txt %lld bytes\n", (long long)st.st_size);
  return 0;
}
