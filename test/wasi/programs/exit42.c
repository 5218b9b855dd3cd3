// Says so on stderr and exits 42.
#include <stdio.h>

int main(void) {
  fputs("exiting with 42\n", stderr);
  return 42;
}
