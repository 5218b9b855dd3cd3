// A long-running service: prints a tick every 200 ms, forever (for -d, logs, stop, kill).
#include <stdio.h>
#include <time.h>

int main(void) {
  struct timespec ts = {0, 200 * 1000 * 1000};
  for (long i = 0;; i++) {
    printf("tick %ld\n", i);
    fflush(stdout);
    nanosleep(&ts, NULL);
  }
}
