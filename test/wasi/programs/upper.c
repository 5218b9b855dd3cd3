// Reads stdin to its end and writes it back upper-cased, then how many bytes it read.
#include <ctype.h>
#include <stdio.h>

int main(void) {
  long n = 0;
  int c;
  while ((c = getchar()) != EOF) {
    putchar(toupper(c));
    n++;
  }
  printf("[%ld bytes]\n", n);
  return 0;
}
