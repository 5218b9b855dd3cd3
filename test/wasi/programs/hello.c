// The smallest WASI command: one line on stdout.
#include <stdio.h>

int main(void) {
  puts("hello from wasi");
  return 0;
}
