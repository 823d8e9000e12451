/* Preloaded into MPI tests of sanitizer builds: keeps every dlopen'ed module mapped, so that
 * LeakSanitizer can name the MPI component behind a leak (and test/lsan.supp can suppress
 * it) instead of reporting an unnamed module. */
#include <stddef.h>

int dlclose(void *handle) {
  (void)handle;
  return 0;
}
