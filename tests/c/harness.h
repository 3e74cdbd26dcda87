/* Check macros shared by the C test harnesses in tests/c/.
 *
 * A harness is a small program the pytest suite compiles with ASan + UBSan
 * (tests/native_build.py) and runs; it prints "ok ..." on stdout when every
 * check passed and exits non-zero otherwise.  Failures go to stderr with the
 * file, line and failed condition, so the pytest assertion message shows them.
 *
 *   #include "harness.h"
 *
 *   CHECK(status == ES_OK);                        // count a failure, go on
 *   CHECK_MSG(n == 3, "got %d strokes", n);         // ... with a printf message
 *   REQUIRE_MSG(size <= cap, "frame too long");     // stop at once (later steps need it)
 *   ...
 *   if (failures == 0) printf("ok post\n");
 *   return failures != 0;
 */
#ifndef EDGESIM_TESTS_HARNESS_H
#define EDGESIM_TESTS_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int failures = 0; /* checks that failed so far */
static int checks = 0;   /* checks evaluated so far */

/* Report one failed check; format (printf-style) may be NULL. */
static void harness_fail(const char *file, int line, const char *condition, const char *format, ...) {
  failures++;
  fprintf(stderr, "FAIL %s:%d: %s", file, line, condition);
  if (format != NULL) {
    va_list args;
    va_start(args, format);
    fputs(": ", stderr);
    vfprintf(stderr, format, args);
    va_end(args);
  }
  fputc('\n', stderr);
}

#define CHECK(cond)                                                  \
  do {                                                               \
    checks++;                                                        \
    if (!(cond)) harness_fail(__FILE__, __LINE__, #cond, NULL);      \
  } while (0)

#define CHECK_MSG(cond, ...)                                         \
  do {                                                               \
    checks++;                                                        \
    if (!(cond)) harness_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
  } while (0)

#define REQUIRE_MSG(cond, ...)                                       \
  do {                                                               \
    checks++;                                                        \
    if (!(cond)) {                                                   \
      harness_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);          \
      exit(1);                                                       \
    }                                                                \
  } while (0)

#endif /* EDGESIM_TESTS_HARNESS_H */
