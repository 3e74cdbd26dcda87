/* CRC-32 as used by zlib, Ethernet and PNG (reflected polynomial 0xEDB88320).
 *
 * Four bits per step with a 16-entry table: 64 bytes of flash instead of the
 * usual 1 KB, and about 2x the speed of the bit-by-bit loop on a Cortex-M4.
 */
#include "edgesim/protocol.h"

static const uint32_t kNibbleTable[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t es_crc32_update(uint32_t crc, const uint8_t *data, size_t length) {
  /* The running value is kept inverted so that calls chain like zlib's. */
  crc = ~crc;
  for (size_t i = 0; i < length; ++i) {
    crc ^= data[i];
    crc = (crc >> 4) ^ kNibbleTable[crc & 0xFu];
    crc = (crc >> 4) ^ kNibbleTable[crc & 0xFu];
  }
  return ~crc;
}
