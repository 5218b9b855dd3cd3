// Prints its arguments and its environment, one per line, so a test sees exactly what
// Entrypoint/Cmd, -e and the image's Env made of them.
#include <stdio.h>

extern char **environ;

int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++) printf("arg[%d]=%s\n", i, argv[i]);
  for (char **e = environ; *e; e++) printf("env:%s\n", *e);
  return 0;
}
