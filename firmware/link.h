/* The firmware's end of the host link: numbered frames out (kept for
 * repeats), host frames in, each accepted once and in order (protocol.h). */
#ifndef EDGESIM_FIRMWARE_LINK_H
#define EDGESIM_FIRMWARE_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "edgesim/protocol.h"

/* Encodes and writes one frame with the next sequence number, and keeps it
 * for repeats. */
void link_send(uint8_t type, const uint8_t *payload, size_t length);

/* An ERROR frame: status, stage, the offending frame's sequence, detail. */
void link_send_error(uint16_t status, uint16_t stage, uint16_t seq, const char *detail);

/* Blocks until the next host frame to act on arrives (1) or the input ends
 * (0).  Garbage is skipped and counted (link_rejected/link_skipped);
 * duplicates are dropped, gaps answered with a REPEAT request, REPEAT
 * requests from the host served here.  The payload is valid until the next
 * call. */
int link_receive(es_proto_frame *frame);
/* link_receive() that does not wait for the line: 0 at once when no host
 * bytes are waiting (the on-board-sensor loop polls between sensor reads). */
int link_poll(es_proto_frame *frame);
uint32_t link_rejected(void);
uint32_t link_skipped(void);

#endif /* EDGESIM_FIRMWARE_LINK_H */
