/* A bounds-checked reader for FlatBuffers in an untrusted byte buffer.
 *
 * Every access is checked against the buffer size before a byte is read, all
 * arithmetic on offsets is done in 64 bits (no wrap-around), and multi-byte
 * values are assembled from single bytes, because the caller's buffer may sit
 * at any address (the Cortex-M4 faults on unaligned LDRD/VLDR, and a typed
 * pointer to unaligned data is undefined behaviour in C anyway).
 *
 * Navigation only ever moves along uoffsets that point forward plus one
 * vtable soffset per table, with a depth fixed by the schema, so no input can
 * make the reader loop.
 *
 * Functions returning int use: 1 = present, 0 = absent (field not set),
 * -1 = malformed (out of bounds or inconsistent).
 */
#ifndef EDGESIM_RUNTIME_FLATBUFFER_H
#define EDGESIM_RUNTIME_FLATBUFFER_H

#include <stddef.h>
#include <stdint.h>

/* Largest buffer accepted: positions are held in uint32_t. */
#define ES_FB_MAX_SIZE 0x7FFFFFF0u

typedef struct es_fb {
  const uint8_t *data;
  uint32_t size;
} es_fb;

/* A table: its position, its vtable's position and both sizes in bytes. */
typedef struct es_fb_table {
  uint32_t pos;
  uint32_t vtable;
  uint16_t vtable_size;
  uint16_t table_size;
} es_fb_table;

/* A vector: position of element 0 and element count (elements fit in the buffer). */
typedef struct es_fb_vector {
  uint32_t pos;
  uint32_t count;
} es_fb_vector;

static inline uint16_t es_fb_u16(const es_fb *fb, uint32_t pos) {
  const uint8_t *p = fb->data + pos;
  return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t es_fb_u32(const es_fb *fb, uint32_t pos) {
  const uint8_t *p = fb->data + pos;
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t es_fb_u64(const es_fb *fb, uint32_t pos) {
  return (uint64_t)es_fb_u32(fb, pos) | ((uint64_t)es_fb_u32(fb, pos + 4) << 32);
}
/* Two's complement conversions without implementation-defined casts. */
static inline int32_t es_fb_i32(const es_fb *fb, uint32_t pos) {
  uint32_t u = es_fb_u32(fb, pos);
  return u <= 0x7FFFFFFFu ? (int32_t)u : -(int32_t)(~u) - 1;
}
static inline int64_t es_fb_i64(const es_fb *fb, uint32_t pos) {
  uint64_t u = es_fb_u64(fb, pos);
  return u <= 0x7FFFFFFFFFFFFFFFull ? (int64_t)u : -(int64_t)(~u) - 1;
}

/* Checks size, the 4-byte file identifier (may be NULL to skip) and the root table. */
int es_fb_root(const es_fb *fb, const char *identifier, es_fb_table *root);

/* The table at `pos`, with its vtable checked. */
int es_fb_table_at(const es_fb *fb, uint32_t pos, es_fb_table *table);

/* Absolute position of field `id` if its `width` bytes lie inside the table. */
int es_fb_field(const es_fb *fb, const es_fb_table *table, int id, uint32_t width, uint32_t *pos);

/* Scalars: *value gets the field or `def` when absent. */
int es_fb_get_u8(const es_fb *fb, const es_fb_table *t, int id, uint8_t def, uint8_t *value);
int es_fb_get_i8(const es_fb *fb, const es_fb_table *t, int id, int8_t def, int8_t *value);
int es_fb_get_i32(const es_fb *fb, const es_fb_table *t, int id, int32_t def, int32_t *value);
int es_fb_get_u32(const es_fb *fb, const es_fb_table *t, int id, uint32_t def, uint32_t *value);
int es_fb_get_u64(const es_fb *fb, const es_fb_table *t, int id, uint64_t def, uint64_t *value);

/* Reference fields (uoffset to a table / vector / string). */
int es_fb_get_table(const es_fb *fb, const es_fb_table *t, int id, es_fb_table *sub);
int es_fb_get_vector(const es_fb *fb, const es_fb_table *t, int id, uint32_t elem_size, es_fb_vector *vec);
/* A string is a vector of bytes; the terminating NUL is not relied upon. */
#define es_fb_get_string(fb, t, id, vec) es_fb_get_vector((fb), (t), (id), 1, (vec))

/* Element i (< vec->count) of a vector of tables. */
int es_fb_vector_table(const es_fb *fb, const es_fb_vector *vec, uint32_t i, es_fb_table *table);

#endif /* EDGESIM_RUNTIME_FLATBUFFER_H */
