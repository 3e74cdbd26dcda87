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
 * Overlap (es_op_allow_output_overlap): a node whose kernel stays correct
 * with output 0 at a fixed byte offset from input 0 gets that placement when
 * input 0's buffer dies at this node and no other input of the node shares
 * it.  Such pinned buffers form a rigid group (a chain through consecutive
 * layers: input -> conv -> depthwise ...) placed as one: each member keeps
 * its own size and lifetime, so other buffers may use the group's space at
 * times when its members are dead.  Only members pinned to each other
 * overlap, and only at the node that allowed it (a member's input dies at
 * the node that writes the next member, so non-adjacent members never live
 * at the same time).  Placing a group re-walks the placed list until no
 * member conflicts (each pass can only raise the offset); after a bounded
 * number of passes it goes above everything placed, which always fits.
 *
 * The planner's working arrays sit at the end of the arena, above where the
 * activations will go, and are discarded before the activations are zeroed.
 */
#include <string.h>

#include "runtime_internal.h"

#define UNUSED_FIRST INT16_MAX
#define NO_PIN (-1)
/* The working arrays hold tensor, node and buffer indices as int16 (they
 * are the planner's whole RAM cost on small models: see es_model_plan). */
#if ES_MODEL_MAX_TENSORS + ES_MODEL_MAX_OPERATORS >= INT16_MAX
#error "the planner stores tensor, node and buffer indices in int16"
#endif
/* Passes over the placed list before a group goes above everything. */
#define GROUP_PASSES 8

/* Sizes and offsets are 32-bit: es_model_plan refuses activations whose
 * sizes sum to more than PLAN_MAX_BYTES, and no offset, group offset or
 * extent exceeds twice that sum (the working arrays are the planner's whole
 * RAM cost, so they are kept small; the arithmetic itself is 64-bit). */
#define PLAN_MAX_BYTES (UINT32_MAX / 4u)
/* Group offsets stay within this (a pin that would go beyond is not made). */
#define PLAN_MAX_REL ((int64_t)(INT32_MAX / 4))

typedef struct plan_buffer {
  uint32_t size;
  uint32_t offset;
  uint32_t rel;    /* offset within its group (0 for a lone buffer) */
  uint32_t extent; /* group leader: bytes the whole group spans */
  int16_t first, last;
  int16_t owner;  /* tensor index, or -1 - node index for a scratch buffer */
  int16_t next;   /* next placed buffer in offset order, -1 = end */
  int16_t member; /* next buffer of the same group, -1 = end */
  int16_t leader; /* first buffer of its group (itself when lone) */
} plan_buffer;

typedef struct lifetime {
  int32_t rel;    /* byte offset from the pin's group origin, |rel| <= PLAN_MAX_REL */
  int16_t first, last;
  int16_t root;   /* tensor whose buffer this tensor uses (itself unless aliased) */
  int16_t pin;    /* root tensor this buffer is placed relative to, NO_PIN = none */
  int16_t buffer; /* plan buffer index of a root tensor, -1 = none */
} lifetime;

static void touch(lifetime *lt, int32_t t, int32_t node) {
  if (node < lt[t].first) lt[t].first = (int16_t)node;
  if (node > lt[t].last) lt[t].last = (int16_t)node;
}

static int overlaps_in_time(const plan_buffer *a, const plan_buffer *b) {
  return a->first <= b->last && b->first <= a->last;
}

/* The group origin a root tensor belongs to (itself when not pinned). */
static int32_t group_of(const lifetime *lt, int32_t t) { return lt[t].pin == NO_PIN ? t : lt[t].pin; }

/* Node n may overlap (see top): sets *in_root and *out. */
static int overlap_candidate(const es_model *m, const lifetime *lt, int32_t n, int32_t *in_root, int32_t *out) {
  const es_node *node = &m->nodes[n];
  if (!(node->flags & ES_NODE_OUTPUT_OVERLAP) || node->input_count < 1 || node->output_count < 1 ||
      node->overlap_offset % (int32_t)ES_ARENA_ALIGN != 0)
    return 0;
  const int32_t in = node->io[0], o = node->io[node->input_count];
  if (in < 0 || o < 0 || in == o || m->tensors[in].is_constant || m->tensors[o].is_constant) return 0;
  const int32_t root = lt[in].root;
  if (lt[root].last != n || lt[root].first > n || lt[o].first != n || lt[o].root != o ||
      m->tensors[root].bytes == 0 || m->tensors[o].bytes == 0)
    return 0;
  for (int k = 1; k < node->input_count; ++k)
    if (node->io[k] >= 0 && lt[node->io[k]].root == root) return 0;
  *in_root = root;
  *out = o;
  return 1;
}

/* Bytes node n saves when its output overlaps its input. */
static int64_t overlap_saving(const es_model *m, int32_t n, int32_t in_root, int32_t out) {
  const int64_t in = (int64_t)es_align_up(m->tensors[in_root].bytes), o = (int64_t)es_align_up(m->tensors[out].bytes);
  const int64_t off = m->nodes[n].overlap_offset;
  const int64_t low = off < 0 ? off : 0, high = off + o > in ? off + o : in;
  const int64_t saving = in + o - (high - low);
  return saving > 0 ? saving : 0;
}

/* Offset of root tensor t from its group's origin. */
static int64_t rel_of(const lifetime *lt, int32_t t) { return lt[t].pin == NO_PIN ? 0 : lt[t].rel; }

/* Bytes spanned by the group of `in_root` joined with the group that `out`
 * starts, when out is placed `offset` bytes after in_root. */
static int64_t group_extent(const es_model *m, const lifetime *lt, int32_t in_root, int32_t out, int32_t offset) {
  const int32_t a = group_of(lt, in_root), b = out;
  const int64_t shift = rel_of(lt, in_root) + offset;
  int64_t low = 0, high = 0;
  for (int32_t t = 0; t < m->tensor_count; ++t) {
    if (lt[t].root != t || m->tensors[t].is_constant) continue;
    const int32_t g = group_of(lt, t);
    if (g != a && g != b) continue;
    const int64_t rel = rel_of(lt, t) + (g == b ? shift : 0);
    const int64_t end = rel + (int64_t)es_align_up(m->tensors[t].bytes);
    if (rel < low) low = rel;
    if (end > high) high = end;
  }
  return high - low;
}

/* Pins `out` (with the group it starts) `offset` bytes after in_root.  Groups
 * are chains: in_root is the last member of its group (it dies where out is
 * born) and out the first of its own, so joining keeps a chain. */
static void join_groups(const es_model *m, lifetime *lt, int32_t in_root, int32_t out, int32_t offset) {
  const int32_t a = group_of(lt, in_root);
  if (a == out || lt[out].pin != NO_PIN) return;
  const int64_t shift = rel_of(lt, in_root) + offset;
  for (int32_t t = 0; t < m->tensor_count; ++t) {
    if (lt[t].root != t || group_of(lt, t) != out) continue;
    const int64_t rel = rel_of(lt, t) + shift;
    if (rel > PLAN_MAX_REL || rel < -PLAN_MAX_REL) return; /* an optimization only: leave the groups apart */
  }
  for (int32_t t = 0; t < m->tensor_count; ++t) {
    if (lt[t].root != t || group_of(lt, t) != out) continue;
    lt[t].rel = (int32_t)(rel_of(lt, t) + shift);
    lt[t].pin = (int16_t)a;
  }
}

/* Pins output 0 of overlap-allowing nodes to their input 0 (see top) where
 * it lowers the peak: pinning everywhere would chain whole networks into one
 * rigid group whose offsets drift by every layer's lead, so only nodes whose
 * live bytes exceed what the busiest node needs after its own overlap are
 * pinned.  `live` has node_count + 1 entries of working space.  With
 * `count_scratch` 0 the nodes' scratch is left out of the live bytes: the
 * pins are then those of the activations alone, and the scratch buffers
 * (small, alive for one node) often fit the gaps those leave. */
static void pin_overlaps(es_model *m, lifetime *lt, int64_t *live, int optional, int count_scratch) {
  const int32_t node_count = m->node_count;
  int32_t in_root, out;
  for (int32_t n = 0; n <= node_count; ++n) live[n] = 0;
  /* Bytes alive at each node: a difference array over root lifetimes. */
  for (int32_t t = 0; t < m->tensor_count; ++t) {
    if (m->tensors[t].is_constant || lt[t].root != t || lt[t].first == UNUSED_FIRST || lt[t].first > node_count) continue;
    const int64_t size = (int64_t)es_align_up(m->tensors[t].bytes);
    live[lt[t].first] += size;
    if (lt[t].last < node_count) live[lt[t].last + 1] -= size;
  }
  for (int32_t n = 1; n <= node_count; ++n) live[n] += live[n - 1];
  for (int32_t n = 0; count_scratch && n < node_count; ++n) live[n] += (int64_t)es_align_up(m->nodes[n].scratch_bytes);
  int64_t target = 0;
  for (int32_t n = 0; n < node_count; ++n) {
    int64_t need = live[n];
    if (overlap_candidate(m, lt, n, &in_root, &out)) need -= overlap_saving(m, n, in_root, out);
    if (need > target) target = need;
  }
  /* Pins where the node is busier than the target: needed to reach it. */
  for (int32_t n = 0; n < node_count; ++n) {
    if (live[n] <= target || !overlap_candidate(m, lt, n, &in_root, &out) || overlap_saving(m, n, in_root, out) == 0)
      continue;
    join_groups(m, lt, in_root, out, m->nodes[n].overlap_offset);
  }
  /* Other pins where the merged group stays within the target: they keep
   * consecutive layers packed against each other, which the greedy
   * placement alone does not always find. */
  for (int32_t n = 0; optional && n < node_count; ++n) {
    if (live[n] > target || !overlap_candidate(m, lt, n, &in_root, &out) || overlap_saving(m, n, in_root, out) == 0)
      continue;
    if (group_extent(m, lt, in_root, out, m->nodes[n].overlap_offset) <= target)
      join_groups(m, lt, in_root, out, m->nodes[n].overlap_offset);
  }
}

/* Lowest offset where every member of the group led by `g` fits. */
static uint64_t place_group(const plan_buffer *bufs, int32_t head, int32_t g) {
  uint64_t candidate = 0;
  for (int pass = 0; pass < GROUP_PASSES; ++pass) {
    int moved = 0;
    for (int32_t p = head; p >= 0; p = bufs[p].next) {
      const plan_buffer *placed = &bufs[p];
      for (int32_t i = g; i >= 0; i = bufs[i].member) {
        const plan_buffer *b = &bufs[i];
        const uint64_t at = candidate + b->rel;
        if (overlaps_in_time(placed, b) && placed->offset < at + b->size && placed->offset + placed->size > at) {
          candidate = (uint64_t)placed->offset + placed->size - b->rel; /* > candidate: at < placed end */
          moved = 1;
        }
      }
    }
    if (!moved) return candidate;
  }
  /* Above every placed buffer: nothing can conflict there. */
  uint64_t top = 0;
  for (int32_t p = head; p >= 0; p = bufs[p].next)
    if ((uint64_t)bufs[p].offset + bufs[p].size > top) top = (uint64_t)bufs[p].offset + bufs[p].size;
  return top;
}

/* Inserts buffer k into the offset-sorted list. */
static void insert_sorted(plan_buffer *bufs, int32_t *head, int32_t k) {
  int32_t prev = -1;
  for (int32_t p = *head; p >= 0 && bufs[p].offset <= bufs[k].offset; p = bufs[p].next) prev = p;
  bufs[k].next = prev < 0 ? (int16_t)*head : bufs[prev].next;
  if (prev < 0)
    *head = k;
  else
    bufs[prev].next = (int16_t)k;
}

/* Orders group leaders and lone buffers biggest first (ties by creation
 * order, or by reverse creation order when `reverse_ties`; insertion sort:
 * n is bounded by ES_MODEL_MAX_TENSORS + operators), then places each at the
 * lowest offset where it fits.  Returns the plan's total bytes. */
static uint64_t place_all(plan_buffer *bufs, int16_t *order, int32_t count, int reverse_ties) {
  int32_t leaders = 0;
  for (int32_t c = 0; c < count; ++c) {
    const int32_t i = reverse_ties ? count - 1 - c : c;
    if (bufs[i].leader != i) continue;
    if (bufs[i].member < 0) bufs[i].extent = bufs[i].size;
    int32_t j = leaders++;
    while (j > 0 && bufs[order[j - 1]].extent < bufs[i].extent) {
      order[j] = order[j - 1];
      --j;
    }
    order[j] = (int16_t)i;
  }
  int32_t head = -1; /* placed buffers sorted by offset */
  uint64_t total = 0;
  for (int32_t k = 0; k < leaders; ++k) {
    plan_buffer *b = &bufs[order[k]];
    uint64_t candidate = 0;
    if (b->member >= 0) {
      candidate = place_group(bufs, head, order[k]);
    } else {
      for (int32_t p = head; p >= 0; p = bufs[p].next) {
        const plan_buffer *placed = &bufs[p];
        if (placed->offset >= candidate + b->size) break; /* gap before `placed` fits */
        if (overlaps_in_time(placed, b) && (uint64_t)placed->offset + placed->size > candidate)
          candidate = (uint64_t)placed->offset + placed->size;
      }
    }
    for (int32_t i = order[k]; i >= 0; i = bufs[i].member) {
      const uint64_t at = candidate + bufs[i].rel;
      bufs[i].offset = (uint32_t)at; /* exact unless total goes past UINT32_MAX, which es_model_plan refuses */
      insert_sorted(bufs, &head, i);
      if (at + bufs[i].size > total) total = at + bufs[i].size;
    }
  }
  return total;
}

/* Pins overlaps (optional ones too when `optional`), then makes one buffer
 * per root activation tensor and one per scratch request, chained into
 * groups with member offsets relative to the group's lowest.  Returns the
 * buffer count. */
static int32_t build_buffers(es_model *m, lifetime *lt, int64_t *live, plan_buffer *bufs, int optional,
                             int count_scratch) {
  const int32_t tensor_count = m->tensor_count, node_count = m->node_count;
  for (int32_t t = 0; t < tensor_count; ++t) {
    lt[t].pin = NO_PIN;
    lt[t].rel = 0;
    lt[t].buffer = -1;
  }
  pin_overlaps(m, lt, live, optional, count_scratch);
  int32_t count = 0;
  for (int32_t t = 0; t < tensor_count; ++t) {
    const es_tensor *tensor = &m->tensors[t];
    if (tensor->is_constant || lt[t].root != t || lt[t].first == UNUSED_FIRST || tensor->bytes == 0) continue;
    bufs[count] = (plan_buffer){(uint32_t)es_align_up(tensor->bytes), 0, 0, 0, lt[t].first, lt[t].last, (int16_t)t, -1, -1, (int16_t)count};
    lt[t].buffer = (int16_t)count;
    ++count;
  }
  for (int32_t n = 0; n < node_count; ++n) {
    if (m->nodes[n].scratch_bytes == 0) continue;
    bufs[count] = (plan_buffer){(uint32_t)es_align_up(m->nodes[n].scratch_bytes), 0, 0, 0, (int16_t)n, (int16_t)n, (int16_t)(-1 - n), -1, -1,
                                (int16_t)count};
    ++count;
  }
  /* Groups: chain each pinned buffer behind its origin's, then shift the
   * members' offsets so the lowest is 0 (pin_overlaps() took only offsets
   * that are multiples of the arena alignment, so members stay aligned). */
  for (int32_t t = 0; t < tensor_count; ++t) {
    if (lt[t].pin == NO_PIN || lt[t].buffer < 0 || lt[lt[t].pin].buffer < 0) continue;
    plan_buffer *origin = &bufs[lt[lt[t].pin].buffer];
    bufs[lt[t].buffer].leader = lt[lt[t].pin].buffer;
    bufs[lt[t].buffer].member = origin->member;
    origin->member = lt[t].buffer;
  }
  for (int32_t k = 0; k < count; ++k) {
    if (bufs[k].leader != k || bufs[k].member < 0) continue;
    int64_t low = 0, high = 0;
    for (int32_t i = k; i >= 0; i = bufs[i].member)
      if (rel_of(lt, bufs[i].owner) < low) low = rel_of(lt, bufs[i].owner);
    for (int32_t i = k; i >= 0; i = bufs[i].member) {
      bufs[i].rel = (uint32_t)(rel_of(lt, bufs[i].owner) - low);
      if ((int64_t)bufs[i].rel + (int64_t)bufs[i].size > high) high = (int64_t)bufs[i].rel + (int64_t)bufs[i].size;
    }
    bufs[k].extent = (uint32_t)high;
  }
  return count;
}

es_status es_model_plan(es_model *m) {
  const int32_t tensor_count = m->tensor_count, node_count = m->node_count;
  const size_t persist_end = es_align_up(m->persistent_bytes);
  /* Buffers: at most one per activation tensor and one per scratch request
   * (the working arrays are sized to what this model can use: on a small
   * model they, not the activations, set the arena's high-water mark). */
  size_t buffer_cap = 0;
  uint64_t requested = 0; /* every activation and scratch buffer side by side: bounds all offsets */
  for (int32_t t = 0; t < tensor_count; ++t) {
    if (m->tensors[t].is_constant) continue;
    ++buffer_cap;
    requested += (uint64_t)es_align_up(m->tensors[t].bytes);
  }
  for (int32_t n = 0; n < node_count; ++n) {
    buffer_cap += m->nodes[n].scratch_bytes != 0;
    requested += (uint64_t)es_align_up(m->nodes[n].scratch_bytes);
  }
  if (requested > PLAN_MAX_BYTES) {
    m->arena_required = 0;
    return es_model_fail(m, ES_ERR_ARENA_TOO_SMALL, "arena too small: activations need more memory than addressable");
  }
  const size_t temp_bytes = es_align_up(sizeof(lifetime) * (size_t)tensor_count) +
                            es_align_up(sizeof(plan_buffer) * buffer_cap) + es_align_up(sizeof(int16_t) * buffer_cap) +
                            sizeof(int64_t) * ((size_t)node_count + 1u) + ES_ARENA_ALIGN;
  if (persist_end > m->arena_size || m->arena_size - persist_end < temp_bytes) {
    m->arena_required = 0; /* unknown: the plan could not even be computed */
    return es_model_fail(m, ES_ERR_ARENA_TOO_SMALL, "arena too small: %z bytes, more needed to plan activations",
                         m->arena_size);
  }
  uint8_t *temp = m->arena + ((m->arena_size - temp_bytes) & ~(size_t)(ES_ARENA_ALIGN - 1u));
  lifetime *lt = (lifetime *)(void *)temp;
  plan_buffer *bufs = (plan_buffer *)(void *)(temp + es_align_up(sizeof(lifetime) * (size_t)tensor_count));
  int16_t *order = (int16_t *)(void *)((uint8_t *)bufs + es_align_up(sizeof(plan_buffer) * buffer_cap));
  int64_t *live = (int64_t *)(void *)((uint8_t *)order + es_align_up(sizeof(int16_t) * buffer_cap));

  /* 1. Lifetimes. */
  for (int32_t t = 0; t < tensor_count; ++t) {
    lt[t].first = UNUSED_FIRST;
    lt[t].last = -1;
    lt[t].root = (int16_t)t;
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
    lt[t].last = (int16_t)node_count; /* read by the caller after the last node */
  }
  /* Variable tensors (op state) live across invokes: memory of their own. */
  for (int32_t t = 0; t < tensor_count; ++t) {
    if (!m->tensors[t].is_variable || m->tensors[t].is_constant) continue;
    lt[t].first = 0;
    lt[t].last = (int16_t)node_count;
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
    lt[out].root = (int16_t)root;
    if (lt[out].last > lt[root].last) lt[root].last = lt[out].last;
  }
  /* Chains (reshape of a reshape) point at a root that may itself have been
   * aliased later: resolve each tensor to its final root (roots strictly
   * precede in node order, so this terminates). */
  for (int32_t t = 0; t < tensor_count; ++t) {
    int32_t r = lt[t].root, steps = 0;
    while (lt[r].root != r && steps++ < tensor_count) r = lt[r].root;
    lt[t].root = (int16_t)r;
  }

  /* 2b-5. Pins, buffers, order and placement in four variants: with the
   * optional pins or without (pin_overlaps), ties between equal sizes broken
   * by creation order or its reverse (in a chain of equal layers one packs
   * better than the other); and where nodes request scratch, the same four
   * with pins chosen without it (see pin_overlaps).  Keep the smallest plan
   * (first one on ties). */
  int has_scratch = 0;
  for (int32_t n = 0; n < node_count; ++n) has_scratch |= m->nodes[n].scratch_bytes != 0;
  uint64_t best_total = UINT64_MAX;
  int best = 0;
  for (int variant = 0; variant < (has_scratch ? 8 : 4); ++variant) {
    const int32_t n = build_buffers(m, lt, live, bufs, (variant >> 1) & 1, !(variant >> 2));
    const uint64_t t = place_all(bufs, order, n, variant & 1);
    if (t < best_total) {
      best_total = t;
      best = variant;
    }
  }
  const int32_t count = build_buffers(m, lt, live, bufs, (best >> 1) & 1, !(best >> 2));
  const uint64_t total = place_all(bufs, order, count, best & 1);

  /* 6. Does it fit?  The high-water mark is the larger of the plan and the
   * planner's own working space. */
  uint64_t need = (uint64_t)persist_end + (total > temp_bytes ? total : temp_bytes);
  if (need > m->arena_size || total > UINT32_MAX) {
    if (need > (uint64_t)(SIZE_MAX / 2) || total > UINT32_MAX) {
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
  /* TFLM starts an int8 variable tensor at its zero point, others at 0. */
  for (int32_t t = 0; t < tensor_count; ++t) {
    es_tensor *tensor = &m->tensors[t];
    if (tensor->is_variable && !tensor->is_constant && tensor->type == ES_INT8 && tensor->quant.channel_count > 0)
      memset(tensor->data, (uint8_t)tensor->quant.zero_point, tensor->bytes);
  }
  return ES_OK;
}
