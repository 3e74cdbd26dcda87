/* Sending protocol frames from the firmware (numbering + encoding). */
#ifndef EDGESIM_FIRMWARE_LINK_H
#define EDGESIM_FIRMWARE_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "edgesim/protocol.h"

/* Encodes and writes one frame with the next sequence number. */
void link_send(uint8_t type, const uint8_t *payload, size_t length);

/* An ERROR frame: status, stage, the offending frame's sequence, detail. */
void link_send_error(uint16_t status, uint16_t stage, uint16_t seq, const char *detail);

#endif /* EDGESIM_FIRMWARE_LINK_H */

/* Blocks until the next valid frame arrives (1) or the input ends (0).
 * Garbage is skipped and counted (link_rejected/link_skipped).  The frame's
 * payload is valid until the next call. */
int link_receive(es_proto_frame *frame);
uint32_t link_rejected(void);
uint32_t link_skipped(void);
