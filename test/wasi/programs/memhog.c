// Grows its memory 1 MiB at a time (touching every page), saying how far it got, up to
// argv[1] MiB (default 256): for --memory. The blocks are kept and read back, so the
// compiler cannot drop the allocations.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *kept[4096];

int main(int argc, char **argv) {
  int max = argc > 1 ? atoi(argv[1]) : 256;
  if (max > 4096) max = 4096;
  long sum = 0;
  for (int i = 0; i < max; i++) {
    kept[i] = malloc(1 << 20);
    if (!kept[i]) { printf("malloc failed at %d MiB\n", i); return 1; }
    memset(kept[i], i + 1, 1 << 20);
    for (int j = 0; j <= i; j++) sum += kept[j][i];
    printf("%d MiB\n", i + 1);
    fflush(stdout);
  }
  printf("done (%ld)\n", sum);
  return 0;
}
