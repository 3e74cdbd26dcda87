/* Activation memory planner: gives every activation tensor and every node's
 * scratch buffer an offset in the arena so that buffers alive at the same time
 * never overlap, keeping the total small.
 *
 * Lifetimes are node-index intervals [first, last], inclusive: a tensor lives
 * from the node that writes it (0 for model inputs) to the last node that
 * reads it (past the last node for model outputs); a scratch buffer lives
 * during its node only.  Placement is greedy, biggest buffer first: each
 * buffer takes the lowest offset where it fits between the already placed
 * buffers whose lifetimes overlap its own (the strategy of TFLM's
 * GreedyMemoryPlanner; placing big buffers first leaves small ones to fill
 * the gaps).  Placed buffers are kept in a list sorted by offset, so finding
 * the gap is one walk of that list: O(n^2) overall for n buffers.
 *
 * An op with ES_OP_OUTPUT_ALIASES_INPUT0 (RESHAPE) gets no buffer of its own:
 * its output shares its input's buffer, whose lifetime is extended to cover
 * the output's.  That is safe because every activation is written by exactly
 * one node (checked by the loader) and the alias merely reinterprets bytes.
 *
 * The planner's working arrays sit at the end of the arena, above where the
 * activations will go, and are discarded before the activations are zeroed.
 */
#include <string.h>

#include "runtime_internal.h"

#define UNUSED_FIRST INT32_MAX

/* Offsets are 64-bit so that sums of large requests cannot wrap on a 32-bit
 * MCU (each request is below 2 GiB; their sum is compared with the arena). */
typedef struct plan_buffer {
  uint64_t size;
  uint64_t offset;
  int32_t first, last;
  int32_t owner; /* tensor index, or -1 - node index for a scratch buffer */
  int32_t next;  /* next placed buffer in offset order, -1 = end */
} plan_buffer;

typedef struct lifetime {
  int32_t first, last;
  int32_t root; /* tensor whose buffer this tensor uses (itself unless aliased) */
} lifetime;

static void touch(lifetime *lt, int32_t t, int32_t node) {
  if (node < lt[t].first) lt[t].first = node;
  if (node > lt[t].last) lt[t].last = node;
}

static int overlaps_in_time(const plan_buffer *a, const plan_buffer *b) {
  return a->first <= b->last && b->first <= a->last;
}

es_status es_model_plan(es_model *m) {
  const int32_t tensor_count = m->tensor_count, node_count = m->node_count;
  const size_t persist_end = es_align_up(m->persistent_bytes);
  const size_t buffer_cap = (size_t)tensor_count + (size_t)node_count;
  const size_t temp_bytes = es_align_up(sizeof(lifetime) * (size_t)tensor_count) +
                            es_align_up(sizeof(plan_buffer) * buffer_cap) + es_align_up(sizeof(int32_t) * buffer_cap) +
                            ES_ARENA_ALIGN;
  if (persist_end > m->arena_size || m->arena_size - persist_end < temp_bytes) {
    m->arena_required = 0; /* unknown: the plan could not even be computed */
    return es_model_fail(m, ES_ERR_ARENA_TOO_SMALL, "arena too small: %z bytes, more needed to plan activations",
                         m->arena_size);
  }
  uint8_t *temp = m->arena + ((m->arena_size - temp_bytes) & ~(size_t)(ES_ARENA_ALIGN - 1u));
  lifetime *lt = (lifetime *)(void *)temp;
  plan_buffer *bufs = (plan_buffer *)(void *)(temp + es_align_up(sizeof(lifetime) * (size_t)tensor_count));
  int32_t *order = (int32_t *)(void *)((uint8_t *)bufs + es_align_up(sizeof(plan_buffer) * buffer_cap));

  /* 1. Lifetimes. */
  for (int32_t t = 0; t < tensor_count; ++t) {
    lt[t].first = UNUSED_FIRST;
    lt[t].last = -1;
    lt[t].root = t;
  }
  for (int32_t i = 0; i < m->input_count; ++i) touch(lt, m->inputs[i], 0);
  for (int32_t n = 0; n < node_count; ++n) {
    const es_node *node = &m->nodes[n];
    for (int k = 0; k < node->input_count + node->output_count; ++k)
      if (node->io[k] >= 0) touch(lt, node->io[k], n);
  }
  for (int32_t i = 0; i < m->output_count; ++i) {
    int32_t t = m->outputs[i];
    if (lt[t].first == UNUSED_FIRST) lt[t].first = 0;
    lt[t].last = node_count; /* read by the caller after the last node */
  }

  /* 2. Aliases: output 0 borrows input 0's buffer when the input is an
   * activation already alive and the output is first touched here. */
  for (int32_t n = 0; n < node_count; ++n) {
    const es_node *node = &m->nodes[n];
    if (!(node->op->flags & ES_OP_OUTPUT_ALIASES_INPUT0) || node->input_count < 1) continue;
    int32_t in = node->io[0], out = node->io[node->input_count];
    if (in < 0 || m->tensors[in].is_constant || m->tensors[in].bytes != m->tensors[out].bytes) continue;
    int32_t root = lt[in].root;
    if (lt[out].first != n || lt[root].first > n || lt[out].root != out) continue;
    lt[out].root = root;
    if (lt[out].last > lt[root].last) lt[root].last = lt[out].last;
  }
  /* Chains (reshape of a reshape) point at a root that may itself have been
   * aliased later: resolve each tensor to its final root (roots strictly
   * precede in node order, so this terminates). */
  for (int32_t t = 0; t < tensor_count; ++t) {
    int32_t r = lt[t].root, steps = 0;
    while (lt[r].root != r && steps++ < tensor_count) r = lt[r].root;
    lt[t].root = r;
  }

  /* 3. Buffers: one per root activation tensor, one per scratch request. */
  int32_t count = 0;
  for (int32_t t = 0; t < tensor_count; ++t) {
    const es_tensor *tensor = &m->tensors[t];
    if (tensor->is_constant || lt[t].root != t || lt[t].first == UNUSED_FIRST || tensor->bytes == 0) continue;
    bufs[count] = (plan_buffer){es_align_up(tensor->bytes), 0, lt[t].first, lt[t].last, t, -1};
    ++count;
  }
  for (int32_t n = 0; n < node_count; ++n) {
    if (m->nodes[n].scratch_bytes == 0) continue;
    bufs[count] = (plan_buffer){es_align_up(m->nodes[n].scratch_bytes), 0, n, n, -1 - n, -1};
    ++count;
  }

  /* 4. Order: biggest first; ties by creation order so plans are repeatable.
   * Insertion sort: n is bounded by ES_MODEL_MAX_TENSORS + operators. */
  for (int32_t i = 0; i < count; ++i) {
    int32_t j = i;
    while (j > 0 && bufs[order[j - 1]].size < bufs[i].size) {
      order[j] = order[j - 1];
      --j;
    }
    order[j] = i;
  }

  /* 5. Greedy placement. */
  int32_t head = -1; /* placed buffers sorted by offset */
  uint64_t total = 0;
  for (int32_t k = 0; k < count; ++k) {
    plan_buffer *b = &bufs[order[k]];
    uint64_t candidate = 0;
    int32_t prev = -1;
    for (int32_t p = head; p >= 0; p = bufs[p].next) {
      const plan_buffer *placed = &bufs[p];
      if (placed->offset >= candidate + b->size) break; /* gap before `placed` fits */
      if (overlaps_in_time(placed, b) && placed->offset + placed->size > candidate)
        candidate = placed->offset + placed->size;
    }
    b->offset = candidate;
    /* Insert into the offset-sorted list. */
    for (int32_t p = head; p >= 0 && bufs[p].offset <= candidate; p = bufs[p].next) prev = p;
    b->next = prev < 0 ? head : bufs[prev].next;
    if (prev < 0)
      head = order[k];
    else
      bufs[prev].next = order[k];
    if (candidate + b->size > total) total = candidate + b->size;
  }

  /* 6. Does it fit?  The high-water mark is the larger of the plan and the
   * planner's own working space. */
  uint64_t need = (uint64_t)persist_end + (total > temp_bytes ? total : temp_bytes);
  if (need > m->arena_size) {
    if (need > (uint64_t)(SIZE_MAX / 2)) {
      m->arena_required = 0;
      return es_model_fail(m, ES_ERR_ARENA_TOO_SMALL, "arena too small: activations need more memory than addressable");
    }
    m->arena_required = (size_t)need;
    return es_model_fail(m, ES_ERR_ARENA_TOO_SMALL, "arena too small: %z bytes, model needs %z", m->arena_size,
                         (size_t)need);
  }
  m->activation_bytes = (size_t)total;
  m->arena_used = (size_t)need;

  /* 7. Point tensors and scratch at their places, then clear the activation
   * area (which overwrites the working arrays: they are not needed after). */
  uint8_t *base = m->arena + persist_end;
  for (int32_t k = 0; k < count; ++k) {
    const plan_buffer *b = &bufs[k];
    if (b->owner >= 0)
      m->tensors[b->owner].data = base + b->offset;
    else
      m->nodes[-1 - b->owner].scratch = base + b->offset;
  }
  for (int32_t t = 0; t < tensor_count; ++t) {
    es_tensor *tensor = &m->tensors[t];
    if (tensor->is_constant || lt[t].first == UNUSED_FIRST) continue;
    if (lt[t].root != t) tensor->data = m->tensors[lt[t].root].data;
    if (tensor->data == NULL) tensor->data = base; /* zero-byte tensor: valid, never dereferenced */
  }
  memset(base, 0, (size_t)total);
  return ES_OK;
}
