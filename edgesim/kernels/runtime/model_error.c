/* The model's error record: one line naming the problem, formatted without
 * stdio (the firmware has none) into a fixed-size buffer, truncated if long. */
#include <stdarg.h>
#include <string.h>

#include "runtime_internal.h"

typedef struct sink {
  char *out;
  size_t capacity; /* including the NUL */
  size_t length;
} sink;

static void put_char(sink *s, char c) {
  if (s->length + 1 < s->capacity) s->out[s->length++] = c;
}

static void put_text(sink *s, const char *text, size_t length) {
  for (size_t i = 0; i < length; ++i) {
    char c = text[i];
    if (c == '\0') break;
    /* Names come from untrusted files: keep the line printable. */
    put_char(s, (c >= 0x20 && c < 0x7f) ? c : '?');
  }
}

static void put_unsigned(sink *s, unsigned long long v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = (char)('0' + (int)(v % 10u));
    v /= 10u;
  } while (v != 0 && n < (int)sizeof digits);
  while (n > 0) put_char(s, digits[--n]);
}

void es_format_error(char *out, size_t capacity, const char *fmt, va_list args) {
  sink s = {out, capacity, 0};
  if (capacity == 0) return;
  for (const char *p = fmt; *p != '\0'; ++p) {
    if (*p != '%') {
      put_char(&s, *p);
      continue;
    }
    ++p;
    if (*p == 'd') {
      long long v = va_arg(args, int);
      if (v < 0) put_char(&s, '-');
      put_unsigned(&s, (unsigned long long)(v < 0 ? -v : v));
    } else if (*p == 'u') {
      put_unsigned(&s, va_arg(args, unsigned));
    } else if (*p == 'z') {
      put_unsigned(&s, va_arg(args, size_t));
    } else if (*p == 's') {
      const char *text = va_arg(args, const char *);
      put_text(&s, text != NULL ? text : "(null)", (size_t)-1);
    } else if (p[0] == '.' && p[1] == '*' && p[2] == 's') {
      int length = va_arg(args, int);
      const char *text = va_arg(args, const char *);
      put_text(&s, text, length > 0 ? (size_t)length : 0);
      p += 2;
    } else {
      put_char(&s, '%');
      if (*p == '\0') break;
      put_char(&s, *p);
    }
  }
  out[s.length] = '\0';
}

es_status es_model_fail(es_model *model, es_status status, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  model->error.status = status;
  es_format_error(model->error.detail, sizeof model->error.detail, fmt, args);
  va_end(args);
  return status;
}
