/* Test harness for the model runtime, built with ASan + UBSan by the tests
 * (tests/test_model_robustness.py) through tests/native_build.py.
 *
 *   model_harness run MODEL IN.bin OUT.bin   load from an odd address, invoke once
 *   model_harness arena MODEL                arena size checks (required - 1 fails, required works)
 *   model_harness truncate MODEL [STEP]      every prefix (or every STEP-th): clear error or runs
 *   model_harness mutate MODEL COUNT SEED    COUNT random mutations: each loads and runs, or errors
 *
 * Each arena is malloc'ed at exactly the size the runtime asked for, and each
 * model copy ends exactly at its last byte, so any read or write outside them
 * is an ASan report.  Mutants go mostly to the model's structure (1 in 32
 * edits lands anywhere, weights included); a mutant that loads into exactly
 * the state of one already invoked (see fingerprint()) is not invoked again.
 * A case that takes more than 10 s is reported as a hang.  On a crash the offending model is written to crash-<n>.tflite.
 * Every model that loads also has its memory plan checked (plan_is_valid).
 * Exit status 0 means every failure came with a status and a detail line and
 * every plan was valid.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgesim/model.h"
#include "edgesim/ops.h"
#include "../../edgesim/kernels/runtime/runtime_internal.h"
#include "../../edgesim/kernels/runtime/schema.h"

#if defined(__has_include)
#if __has_include(<sanitizer/asan_interface.h>) && defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define HAVE_ASAN 1
#endif
#endif
#ifndef HAVE_ASAN
#define ASAN_POISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#endif

/* Largest arena a case may use (the shared models need < 100 KB). */
#define MAX_ARENA (16u << 20)

/* What is being tried right now, for the crash and hang reports. */
static const uint8_t *g_current;
static size_t g_current_size;
static long g_current_index = -1;

static void dump_current(void) {
  if (g_current == NULL) return;
  char path[64];
  snprintf(path, sizeof path, "crash-%ld.tflite", g_current_index);
  FILE *f = fopen(path, "wb");
  if (f != NULL) {
    fwrite(g_current, 1, g_current_size, f);
    fclose(f);
  }
  fprintf(stderr, "model_harness: failing case %ld written to %s\n", g_current_index, path);
}

static void on_alarm(int sig) {
  (void)sig;
  fprintf(stderr, "model_harness: HANG: case %ld took more than 10 s\n", g_current_index);
  dump_current();
  _exit(3);
}

static uint8_t *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    perror(path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *data = malloc(n > 0 ? (size_t)n : 1);
  if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(2);
  }
  fclose(f);
  *size = (size_t)n;
  return data;
}

/* FNV-1a over everything an invoke depends on: tensor records (with data
 * placement and per-channel scales), constant bytes, node ops, versions,
 * tensor indices, options as the ops read them, scratch sizes.  Two loaded
 * models with equal fingerprints run the very same computation, so a mutant
 * that only changed bytes nothing reads (names, unused fields) is invoked
 * once, not once per mutation. */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001B3ull;
  return h;
}

static uint64_t fingerprint(es_model *m) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (int32_t i = 0; i < m->tensor_count; ++i) {
    es_tensor t = m->tensors[i];
    const uint8_t *data = t.data;
    ptrdiff_t where = t.is_constant ? data - m->data : (data != NULL ? data - m->arena : -1);
    const uint8_t *scales = t.quant.channel_scales;
    t.data = NULL;
    t.quant.channel_scales = NULL;
    h = fnv(h, &t, sizeof t);
    h = fnv(h, &where, sizeof where);
    if (t.quant.channel_count > 0 && scales != NULL) h = fnv(h, scales, 4u * (size_t)t.quant.channel_count);
    if (t.is_constant) h = fnv(h, data, t.bytes);
  }
  for (int32_t n = 0; n < m->node_count; ++n) {
    es_node *node = &m->nodes[n];
    es_op_context ctx = {m, node, n, 0};
    h = fnv(h, &node->op, sizeof node->op);
    h = fnv(h, &node->version, sizeof node->version);
    h = fnv(h, &node->scratch_bytes, sizeof node->scratch_bytes);
    h = fnv(h, &node->input_count, 2);
    h = fnv(h, node->io, sizeof(int16_t) * (size_t)(node->input_count + node->output_count));
    const char *layout = es_schema_option_layout(node->options_type);
    for (int f = 0; node->options != 0 && layout != NULL && layout[f] != '\0'; ++f) {
      int32_t iv = es_op_option_int(&ctx, f, 12345), count = 0;
      float fv = es_op_option_float(&ctx, f, 0.5f);
      const uint8_t *vec = es_op_option_int_vector(&ctx, f, &count);
      h = fnv(h, &iv, sizeof iv);
      h = fnv(h, &fv, sizeof fv);
      h = fnv(h, &count, sizeof count);
      if (vec != NULL) h = fnv(h, vec, 4u * (size_t)count);
    }
  }
  h = fnv(h, m->inputs, sizeof(int16_t) * (size_t)m->input_count);
  h = fnv(h, m->outputs, sizeof(int16_t) * (size_t)m->output_count);
  return h;
}

/* Fingerprints already invoked (open addressing; 0 marks a free slot). */
typedef struct seen_set {
  uint64_t *slots;
  size_t capacity;
} seen_set;

static int seen_before(seen_set *set, uint64_t key) {
  if (set->slots == NULL) return 0;
  key |= 1; /* never 0 */
  for (size_t i = key % set->capacity;; i = (i + 1) % set->capacity) {
    if (set->slots[i] == key) return 1;
    if (set->slots[i] == 0) {
      set->slots[i] = key;
      return 0;
    }
  }
}

/* Independent check of the memory plan: tensors alive at the same time
 * (same lifetime rule as the planner: model inputs from node 0, model outputs
 * to the end) and each node's scratch never share bytes, unless they are the
 * very same range (an alias) or an input/output pair placed as its node
 * allowed (overlap_allowed); all activations lie inside the used arena. */
static void lifetimes(const es_model *m, int32_t *first, int32_t *last) {
  for (int32_t t = 0; t < m->tensor_count; ++t) first[t] = INT32_MAX, last[t] = -1;
#define TOUCH(t, n) do { if ((n) < first[t]) first[t] = (n); if ((n) > last[t]) last[t] = (n); } while (0)
  for (int32_t i = 0; i < m->input_count; ++i) TOUCH(m->inputs[i], 0);
  for (int32_t n = 0; n < m->node_count; ++n)
    for (int k = 0; k < m->nodes[n].input_count + m->nodes[n].output_count; ++k)
      if (m->nodes[n].io[k] >= 0) TOUCH(m->nodes[n].io[k], n);
  for (int32_t i = 0; i < m->output_count; ++i) TOUCH(m->outputs[i], m->node_count);
#undef TOUCH
}

/* Node n's output 0 was placed over its input 0 as the op allowed
 * (es_op_allow_output_overlap): the input dies and the output is born at n,
 * and the output starts exactly the declared offset from the input. */
static int overlap_in_use(const es_model *m, const int32_t *first, const int32_t *last, int32_t n) {
  const es_node *node = &m->nodes[n];
  if (!(node->flags & ES_NODE_OUTPUT_OVERLAP) || node->input_count < 1 || node->output_count < 1) return 0;
  const int32_t x = node->io[0], y = node->io[node->input_count];
  if (x < 0 || y < 0 || x == y || m->tensors[x].is_constant || m->tensors[y].is_constant) return 0;
  if (last[x] != n || first[y] != n || m->tensors[x].bytes == 0 || m->tensors[y].bytes == 0) return 0;
  return (const uint8_t *)m->tensors[y].data - (const uint8_t *)m->tensors[x].data == node->overlap_offset;
}

/* Whether tensors a and b may share bytes: an overlap some node allowed. */
static int overlap_allowed(const es_model *m, const int32_t *first, const int32_t *last, int32_t a, int32_t b) {
  for (int32_t n = 0; n < m->node_count; ++n) {
    if (!overlap_in_use(m, first, last, n)) continue;
    const int32_t x = m->nodes[n].io[0], y = m->nodes[n].io[m->nodes[n].input_count];
    if ((a == x && b == y) || (a == y && b == x)) return 1;
  }
  return 0;
}

/* No plan can use less than the bytes alive at its busiest node (aliases
 * counted once, sizes rounded to the arena alignment like the planner; an
 * overlapped input/output pair counted as the bytes their union spans). */
static size_t plan_lower_bound(const es_model *m) {
  int32_t *first = malloc(sizeof(int32_t) * (size_t)(m->tensor_count + 1));
  int32_t *last = malloc(sizeof(int32_t) * (size_t)(m->tensor_count + 1));
  size_t best = 0;
  lifetimes(m, first, last);
  for (int32_t n = 0; n <= m->node_count; ++n) {
    size_t live = n < m->node_count ? es_align_up(m->nodes[n].scratch_bytes) : 0;
    for (int32_t t = 0; t < m->tensor_count; ++t) {
      const es_tensor *tensor = &m->tensors[t];
      if (tensor->is_constant || first[t] > n || last[t] < n) continue;
      int alias = 0;
      for (int32_t u = 0; u < t && !alias; ++u)
        alias = !m->tensors[u].is_constant && first[u] <= n && last[u] >= n && m->tensors[u].data == tensor->data &&
                tensor->bytes > 0;
      if (!alias) live += es_align_up(tensor->bytes);
    }
    if (n < m->node_count && overlap_in_use(m, first, last, n)) {
      const es_node *node = &m->nodes[n];
      const int64_t in = (int64_t)es_align_up(m->tensors[node->io[0]].bytes);
      const int64_t out = (int64_t)es_align_up(m->tensors[node->io[node->input_count]].bytes);
      const int64_t off = node->overlap_offset;
      const int64_t low = off < 0 ? off : 0, high = off + out > in ? off + out : in;
      if (in + out > high - low) live -= (size_t)(in + out - (high - low));
    }
    if (live > best) best = live;
  }
  free(first);
  free(last);
  return best;
}

static int plan_is_valid(const es_model *m) {
  const int32_t n_t = m->tensor_count, n_n = m->node_count;
  int32_t *first = malloc(sizeof(int32_t) * (size_t)(n_t + 1)), *last = malloc(sizeof(int32_t) * (size_t)(n_t + 1));
  int ok = 1;
  lifetimes(m, first, last);
  const uint8_t *lo = m->arena, *hi = m->arena + m->arena_used;
  for (int32_t a = 0; a < n_t && ok; ++a) {
    const es_tensor *ta = &m->tensors[a];
    if (ta->is_constant || last[a] < 0 || ta->bytes == 0) continue;
    const uint8_t *pa = ta->data;
    if (pa < lo || pa + ta->bytes > hi) {
      fprintf(stderr, "case %ld: tensor %d outside the arena\n", g_current_index, a);
      ok = 0;
    }
    for (int32_t b = a + 1; b < n_t && ok; ++b) {
      const es_tensor *tb = &m->tensors[b];
      if (tb->is_constant || last[b] < 0 || tb->bytes == 0) continue;
      if (first[a] > last[b] || first[b] > last[a]) continue;
      const uint8_t *pb = tb->data;
      if (pa == pb && ta->bytes == tb->bytes) continue; /* alias */
      if (overlap_allowed(m, first, last, a, b)) continue;
      if (pa < pb + tb->bytes && pb < pa + ta->bytes) {
        fprintf(stderr, "case %ld: tensors %d and %d are alive together and overlap\n", g_current_index, a, b);
        ok = 0;
      }
    }
    for (int32_t n = 0; n < n_n && ok; ++n) {
      const es_node *node = &m->nodes[n];
      const uint8_t *ps = node->scratch;
      if (node->scratch_bytes == 0 || n < first[a] || n > last[a]) continue;
      if (ps < lo || ps + node->scratch_bytes > hi || (ps < pa + ta->bytes && pa < ps + node->scratch_bytes)) {
        fprintf(stderr, "case %ld: scratch of node %d overlaps tensor %d or leaves the arena\n", g_current_index, n, a);
        ok = 0;
      }
    }
  }
  free(first);
  free(last);
  return ok;
}

typedef struct outcome {
  seen_set seen;
  long duplicates, bad_plans;
  long loaded, load_errors, invoke_ok, invoke_errors, missing_detail;
  long by_status[ES_STATUS_COUNT];
} outcome;

static int has_detail(const es_model *m, es_status s) {
  return m->error.status == s && m->error.detail[0] != '\0';
}

/* Loads `data` with an exactly sized arena and invokes once if it loads. */
static void try_model(const uint8_t *data, size_t size, outcome *o) {
  es_model model;
  size_t required = 0;
  uint8_t probe[256];
  /* First pass in a small buffer: also exercises the arena-too-small paths. */
  es_status s = es_model_arena_required(&model, &es_all_ops, data, size, probe, sizeof probe, &required);
  if (s != ES_OK && s != ES_ERR_ARENA_TOO_SMALL) {
    o->load_errors++;
    o->by_status[s]++;
    if (!has_detail(&model, s)) {
      o->missing_detail++;
      fprintf(stderr, "case %ld: status %d without detail\n", g_current_index, (int)s);
    }
    return;
  }
  if (s == ES_ERR_ARENA_TOO_SMALL && required == 0) {
    static uint8_t *work; /* one sizing buffer for the whole run */
    const size_t work_size = 4u << 20;
    if (work == NULL) work = malloc(work_size);
    s = es_model_arena_required(&model, &es_all_ops, data, size, work, work_size, &required);
    if (s != ES_OK && !(s == ES_ERR_ARENA_TOO_SMALL && required > 0)) {
      o->load_errors++;
      o->by_status[s]++;
      if (!has_detail(&model, s)) o->missing_detail++;
      return;
    }
  }
  if (required > MAX_ARENA) {
    /* Like a board with a fixed arena: a mutant that blew a tensor up to
     * hundreds of MB is rejected here instead of spending minutes in it. */
    uint8_t *arena = malloc(MAX_ARENA);
    s = es_model_load(&model, &es_all_ops, data, size, arena, MAX_ARENA);
    free(arena);
    o->load_errors++;
    o->by_status[s]++;
    if (s != ES_ERR_ARENA_TOO_SMALL || !has_detail(&model, s)) o->missing_detail++;
    return;
  }
  uint8_t *arena = malloc(required ? required : 1);
  s = es_model_load(&model, &es_all_ops, data, size, arena, required);
  if (s != ES_OK) {
    /* A second load of the same bytes with the reported size must succeed. */
    fprintf(stderr, "case %ld: load with the required %zu bytes failed: %s\n", g_current_index, required,
            model.error.detail);
    o->missing_detail++;
    free(arena);
    return;
  }
  o->loaded++;
  if (!plan_is_valid(&model)) o->missing_detail++, o->bad_plans++;
  if (seen_before(&o->seen, fingerprint(&model))) {
    o->duplicates++;
    free(arena);
    return;
  }
  for (int32_t i = 0; i < model.input_count; ++i) {
    es_tensor *t = es_model_input(&model, i);
    for (size_t b = 0; b < t->bytes; ++b) ((uint8_t *)t->data)[b] = (uint8_t)(b * 37u + 11u);
  }
  s = es_model_invoke(&model);
  if (s == ES_OK) {
    o->invoke_ok++;
  } else {
    o->invoke_errors++;
    o->by_status[s]++;
    if (!has_detail(&model, s)) o->missing_detail++;
  }
  free(arena);
}

static void report(const char *what, long cases, const outcome *o) {
  printf("%s cases=%ld loaded=%ld invoke_ok=%ld invoke_errors=%ld same_as_before=%ld load_errors=%ld missing_detail=%ld"
         " bad_plans=%ld",
         what, cases, o->loaded, o->invoke_ok, o->invoke_errors, o->duplicates, o->load_errors, o->missing_detail,
         o->bad_plans);
  for (int s = 1; s < ES_STATUS_COUNT; ++s)
    if (o->by_status[s]) printf(" status%d=%ld", s, o->by_status[s]);
  printf("\n");
}

static int cmd_run(const char *model_path, const char *in_path, const char *out_path) {
  size_t size, in_size;
  uint8_t *file = read_file(model_path, &size);
  uint8_t *input = read_file(in_path, &in_size);
  /* Odd address: no multi-byte load may assume alignment of the model. */
  uint8_t *block = malloc(size + 1);
  memcpy(block + 1, file, size);
  const uint8_t *data = block + 1;
  es_model model;
  size_t required = 0;
  size_t work_size = 8u << 20;
  uint8_t *work = malloc(work_size);
  es_status s = es_model_arena_required(&model, &es_all_ops, data, size, work, work_size, &required);
  free(work);
  if (s != ES_OK) {
    fprintf(stderr, "load: %s\n", model.error.detail);
    return 1;
  }
  uint8_t *arena = malloc(required);
  if (es_model_load(&model, &es_all_ops, data, size, arena, required) != ES_OK) {
    fprintf(stderr, "load: %s\n", model.error.detail);
    return 1;
  }
  if (!plan_is_valid(&model)) return 1;
  es_tensor *in = es_model_input(&model, 0);
  if (in_size != in->bytes) {
    fprintf(stderr, "input has %zu bytes, model needs %zu\n", in_size, in->bytes);
    return 1;
  }
  memcpy(in->data, input, in_size);
  if (es_model_invoke(&model) != ES_OK) {
    fprintf(stderr, "invoke: %s\n", model.error.detail);
    return 1;
  }
  es_tensor *out = es_model_output(&model, 0);
  FILE *f = fopen(out_path, "wb");
  fwrite(out->data, 1, out->bytes, f);
  fclose(f);
  printf("arena_used=%zu persistent=%zu activations=%zu\n", model.arena_used, model.persistent_bytes,
         model.activation_bytes);
  free(arena);
  free(block);
  free(file);
  free(input);
  return 0;
}

static int cmd_arena(const char *model_path) {
  size_t size, required = 0;
  uint8_t *data = read_file(model_path, &size);
  es_model model;
  uint8_t *work = malloc(8u << 20);
  if (es_model_arena_required(&model, &es_all_ops, data, size, work, 8u << 20, &required) != ES_OK) {
    fprintf(stderr, "load: %s\n", model.error.detail);
    return 1;
  }
  free(work);
  int failures = 0;
  /* Every size below the requirement fails cleanly; sizes that still hold
   * the records report the exact requirement. */
  size_t sizes[] = {0, 1, 64, required / 4, required / 2, required - 8, required - 1};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
    uint8_t *arena = malloc(sizes[i] ? sizes[i] : 1);
    es_status s = es_model_load(&model, &es_all_ops, data, size, arena, sizes[i]);
    printf("size=%zu status=%d required=%zu detail=%s\n", sizes[i], (int)s, model.arena_required, model.error.detail);
    if (s != ES_ERR_ARENA_TOO_SMALL || model.error.detail[0] == '\0') failures++;
    if (model.arena_required != 0 && model.arena_required != required) failures++;
    free(arena);
  }
  uint8_t *arena = malloc(required);
  es_status s = es_model_load(&model, &es_all_ops, data, size, arena, required);
  printf("size=%zu status=%d arena_used=%zu\n", required, (int)s, model.arena_used);
  if (s == ES_OK)
    printf("activations=%zu lower_bound=%zu persistent=%zu\n", model.activation_bytes, plan_lower_bound(&model),
           model.persistent_bytes);
  if (s != ES_OK || model.arena_used != required) failures++;
  if (s == ES_OK && es_model_invoke(&model) != ES_OK) failures++;
  free(arena);
  free(data);
  printf("failures=%d\n", failures);
  return failures != 0;
}

static int cmd_truncate(const char *model_path, long step) {
  size_t size;
  uint8_t *file = read_file(model_path, &size);
  /* One copy; the tail beyond the current prefix is poisoned so that ASan
   * reports any read past the prefix, as if the buffer ended there. */
  uint8_t *data = malloc(size);
  memcpy(data, file, size);
  outcome o;
  memset(&o, 0, sizeof o);
  long cases = 0;
  g_current = data;
  for (long n = (long)size - 1; n >= 0; --n) {
    ASAN_POISON_MEMORY_REGION(data + n, 1);
    if (step > 1 && n % step != 0 && n > 64) continue;
    g_current_index = n;
    g_current_size = (size_t)n;
    alarm(10);
    try_model(data, (size_t)n, &o);
    cases++;
  }
  alarm(0);
  ASAN_UNPOISON_MEMORY_REGION(data, size);
  report("truncate", cases, &o);
  free(data);
  free(file);
  return o.missing_detail != 0;
}

/* xorshift64*: reproducible from the seed. */
static uint64_t next_random(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

static int cmd_mutate(const char *model_path, long count, uint64_t seed) {
  size_t size;
  uint8_t *file = read_file(model_path, &size);
  /* Bytes of constant tensor data and quantization arrays: mutating them
   * changes numbers, not structure, so most mutations go elsewhere (but some
   * land there too). */
  uint8_t *is_weight = calloc(size, 1);
  {
    es_model model;
    size_t required = 0, work_size = 8u << 20;
    uint8_t *work = malloc(work_size);
    if (es_model_arena_required(&model, &es_all_ops, file, size, work, work_size, &required) == ES_OK) {
      es_fb fb = {file, (uint32_t)size};
      es_fb_vector tensors = {model.tensor_table_vector, (uint32_t)model.tensor_count};
      for (int32_t t = 0; t < model.tensor_count; ++t) {
        const es_tensor *tensor = &model.tensors[t];
        if (tensor->is_constant) {
          size_t start = (size_t)((const uint8_t *)tensor->data - file);
          memset(is_weight + start, 1, tensor->bytes);
        }
        /* Quantization arrays are numeric payload too (thousands of
         * per-channel scales and int64 zero points in person_detect). */
        es_fb_table table, quant;
        es_fb_vector scales, zero_points;
        if (es_fb_vector_table(&fb, &tensors, (uint32_t)t, &table) > 0 && es_fb_get_table(&fb, &table, 4, &quant) > 0 &&
            es_fb_get_vector(&fb, &quant, 2, 4, &scales) > 0 && es_fb_get_vector(&fb, &quant, 3, 8, &zero_points) > 0) {
          memset(is_weight + scales.pos, 1, 4u * scales.count);
          memset(is_weight + zero_points.pos, 1, 8u * zero_points.count);
        }
      }
    }
    free(work);
    if (required == 0 || !model.ready) {
      fprintf(stderr, "original model does not load: %s\n", model.error.detail);
      free(is_weight);
      free(file);
      return 1;
    }
  }
  size_t *structure = malloc(size * sizeof *structure), structure_count = 0;
  for (size_t i = 0; i < size; ++i)
    if (!is_weight[i]) structure[structure_count++] = i;

  outcome o;
  memset(&o, 0, sizeof o);
  o.seen.capacity = 2 * (size_t)count + 1;
  o.seen.slots = calloc(o.seen.capacity, sizeof(uint64_t));
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  static const uint32_t interesting[] = {0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000u,
                                         0xFFFFFFFFu, 4, 8, 16};
  for (long i = 0; i < count; ++i) {
    uint8_t *copy = malloc(size);
    memcpy(copy, file, size);
    int edits = 1 + (int)(next_random(&state) % 4);
    for (int e = 0; e < edits; ++e) {
      uint64_t r = next_random(&state);
      size_t pos = (r % 32 == 0 || structure_count == 0) ? (size_t)(next_random(&state) % size)
                                                         : structure[next_random(&state) % structure_count];
      switch ((r >> 8) % 4) {
        case 0: copy[pos] = (uint8_t)next_random(&state); break;
        case 1: copy[pos] = (uint8_t)(copy[pos] + ((r >> 16) & 1 ? 1 : -1)); break;
        case 2: copy[pos] ^= (uint8_t)(1u << ((r >> 16) % 8)); break;
        default: {
          uint32_t v = interesting[(r >> 16) % (sizeof interesting / sizeof interesting[0])];
          for (int b = 0; b < 4 && pos + (size_t)b < size; ++b) copy[pos + (size_t)b] = (uint8_t)(v >> (8 * b));
        }
      }
    }
    g_current = copy;
    g_current_size = size;
    g_current_index = i;
    alarm(10);
    try_model(copy, size, &o);
    free(copy);
  }
  alarm(0);
  g_current = NULL;
  report("mutate", count, &o);
  free(o.seen.slots);
  free(structure);
  free(is_weight);
  free(file);
  return o.missing_detail != 0;
}

int main(int argc, char **argv) {
  signal(SIGALRM, on_alarm);
#ifdef HAVE_ASAN
  __sanitizer_set_death_callback(dump_current);
#endif
  if (argc == 5 && strcmp(argv[1], "run") == 0) return cmd_run(argv[2], argv[3], argv[4]);
  if (argc == 3 && strcmp(argv[1], "arena") == 0) return cmd_arena(argv[2]);
  if ((argc == 3 || argc == 4) && strcmp(argv[1], "truncate") == 0)
    return cmd_truncate(argv[2], argc == 4 ? atol(argv[3]) : 1);
  if (argc == 5 && strcmp(argv[1], "mutate") == 0)
    return cmd_mutate(argv[2], atol(argv[3]), (uint64_t)strtoull(argv[4], NULL, 10));
  fprintf(stderr, "usage: model_harness run MODEL IN OUT | arena MODEL | truncate MODEL [STEP] | mutate MODEL COUNT SEED\n");
  return 2;
}
