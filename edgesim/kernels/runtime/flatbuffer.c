#include "flatbuffer.h"

/* True when [pos, pos + len) lies inside the buffer (64-bit sum: no wrap). */
static int in_bounds(const es_fb *fb, uint64_t pos, uint64_t len) {
  return pos <= fb->size && len <= (uint64_t)fb->size - pos;
}

/* Follows the uoffset stored at `pos` (already known to be in bounds). */
static int follow(const es_fb *fb, uint32_t pos, uint32_t *target) {
  uint64_t t = (uint64_t)pos + es_fb_u32(fb, pos);
  if (!in_bounds(fb, t, 4)) return -1;
  *target = (uint32_t)t;
  return 1;
}

int es_fb_root(const es_fb *fb, const char *identifier, es_fb_table *root) {
  if (fb->data == NULL || fb->size < 8 || fb->size > ES_FB_MAX_SIZE) return -1;
  if (identifier != NULL) {
    for (int i = 0; i < 4; ++i)
      if (fb->data[4 + i] != (uint8_t)identifier[i]) return -1;
  }
  uint32_t pos;
  if (follow(fb, 0, &pos) < 0) return -1;
  return es_fb_table_at(fb, pos, root);
}

int es_fb_table_at(const es_fb *fb, uint32_t pos, es_fb_table *table) {
  if (!in_bounds(fb, pos, 4)) return -1;
  /* The table starts with a signed offset back (usually) to its vtable. */
  int64_t vt = (int64_t)pos - (int64_t)es_fb_i32(fb, pos);
  if (vt < 0 || !in_bounds(fb, (uint64_t)vt, 4)) return -1;
  uint16_t vt_size = es_fb_u16(fb, (uint32_t)vt);
  uint16_t tb_size = es_fb_u16(fb, (uint32_t)vt + 2);
  /* vtable: two uint16 sizes then one uint16 per field. */
  if (vt_size < 4 || (vt_size & 1u) || !in_bounds(fb, (uint64_t)vt, vt_size)) return -1;
  if (tb_size < 4 || !in_bounds(fb, pos, tb_size)) return -1;
  table->pos = pos;
  table->vtable = (uint32_t)vt;
  table->vtable_size = vt_size;
  table->table_size = tb_size;
  return 1;
}

int es_fb_field(const es_fb *fb, const es_fb_table *table, int id, uint32_t width, uint32_t *pos) {
  if (id < 0) return -1;
  uint32_t entry = 4u + 2u * (uint32_t)id;
  if (entry + 2u > table->vtable_size) return 0; /* newer field than the writer knew */
  uint16_t off = es_fb_u16(fb, table->vtable + entry);
  if (off == 0) return 0;
  if (off < 4 || (uint32_t)off + width > table->table_size) return -1;
  *pos = table->pos + off; /* inside the table, which es_fb_table_at bounded */
  return 1;
}

int es_fb_get_u8(const es_fb *fb, const es_fb_table *t, int id, uint8_t def, uint8_t *value) {
  uint32_t pos;
  int r = es_fb_field(fb, t, id, 1, &pos);
  *value = r > 0 ? fb->data[pos] : def;
  return r;
}

int es_fb_get_i8(const es_fb *fb, const es_fb_table *t, int id, int8_t def, int8_t *value) {
  uint8_t u;
  int r = es_fb_get_u8(fb, t, id, 0, &u);
  *value = r > 0 ? (int8_t)(u < 128 ? (int)u : (int)u - 256) : def;
  return r;
}

int es_fb_get_i32(const es_fb *fb, const es_fb_table *t, int id, int32_t def, int32_t *value) {
  uint32_t pos;
  int r = es_fb_field(fb, t, id, 4, &pos);
  *value = r > 0 ? es_fb_i32(fb, pos) : def;
  return r;
}

int es_fb_get_u32(const es_fb *fb, const es_fb_table *t, int id, uint32_t def, uint32_t *value) {
  uint32_t pos;
  int r = es_fb_field(fb, t, id, 4, &pos);
  *value = r > 0 ? es_fb_u32(fb, pos) : def;
  return r;
}

int es_fb_get_u64(const es_fb *fb, const es_fb_table *t, int id, uint64_t def, uint64_t *value) {
  uint32_t pos;
  int r = es_fb_field(fb, t, id, 8, &pos);
  *value = r > 0 ? es_fb_u64(fb, pos) : def;
  return r;
}

int es_fb_get_table(const es_fb *fb, const es_fb_table *t, int id, es_fb_table *sub) {
  uint32_t pos, target;
  int r = es_fb_field(fb, t, id, 4, &pos);
  if (r <= 0) return r;
  if (follow(fb, pos, &target) < 0) return -1;
  return es_fb_table_at(fb, target, sub);
}

int es_fb_get_vector(const es_fb *fb, const es_fb_table *t, int id, uint32_t elem_size, es_fb_vector *vec) {
  uint32_t pos, target;
  int r = es_fb_field(fb, t, id, 4, &pos);
  if (r <= 0) {
    vec->pos = 0;
    vec->count = 0;
    return r;
  }
  if (follow(fb, pos, &target) < 0) return -1;
  uint32_t count = es_fb_u32(fb, target);
  if (!in_bounds(fb, (uint64_t)target + 4, (uint64_t)count * elem_size)) return -1;
  vec->pos = target + 4;
  vec->count = count;
  return 1;
}

int es_fb_vector_table(const es_fb *fb, const es_fb_vector *vec, uint32_t i, es_fb_table *table) {
  uint32_t target;
  if (i >= vec->count) return -1;
  if (follow(fb, vec->pos + 4u * i, &target) < 0) return -1;
  return es_fb_table_at(fb, target, table);
}
