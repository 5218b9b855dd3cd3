// Answers each line of stdin as it comes ("got: LINE"), and exits 7 at a line "quit"
// (or 0 at end of input): for live, interactive stdin.
#include <stdio.h>
#include <string.h>

int main(void) {
  char line[256];
  puts("ready");
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    if (!strcmp(line, "quit")) return 7;
    printf("got: %s\n", line);
    fflush(stdout);
  }
  puts("eof");
  return 0;
}
