/* Small baseline JPEG decoder (ITU T.81 sequential DCT, 8-bit, Huffman).
 *
 * Used where a camera delivers JPEG (the ArduCAM Mini 2MP Plus on the
 * Nano 33 BLE, Renode's camera model) and by the host binding edgesim._jpeg.
 *
 * Supported: SOF0/SOF1 with 8-bit samples, 1 component (gray) or 3
 * components (YCbCr, JFIF), any sampling factors 1..4 whose ratios to the
 * largest are integers (4:4:4, 4:2:2, 4:2:0, 4:4:0, ...), one interleaved
 * scan, restart markers.  Rejected with ES_ERR_IMAGE_FORMAT and a detail
 * string: progressive/lossless/arithmetic/12-bit, CMYK, Adobe-RGB, several
 * scans, and every kind of corrupt or truncated data.
 *
 * Memory: no malloc.  es_jpeg_workspace_size() says how many bytes the
 * decoder needs for one image (tables plus one MCU row of each component it
 * must reconstruct - two for RGB, whose upsampling looks one row ahead - so
 * a 320x240 4:2:0 frame needs 12.6 KiB for gray output); the caller
 * provides that workspace and the output buffer.
 *
 * Arithmetic: integers only, so host and Cortex-M4 give identical pixels.
 * The IDCT is the Loeffler-Ligtenberg-Moschytz factorisation with 13-bit
 * constants (the "islow" IDCT of the IJG library), chroma is upsampled with
 * libjpeg's default "fancy" triangle filter and converted with the JFIF
 * integer YCbCr->RGB, so gray and RGB output equal libjpeg's (and
 * OpenCV's) exactly (tests/test_jpeg.py).
 *
 * Usage:
 *   es_jpeg_info info; const char *detail;
 *   es_jpeg_read_info(data, size, &info, &detail);
 *   es_jpeg_workspace_size(&info, ES_JPEG_GRAY8, &ws_bytes);
 *   es_jpeg_decode(data, size, ES_JPEG_GRAY8, ws, ws_bytes,
 *                  out, info.width * info.height, &detail);
 */
#ifndef EDGESIM_JPEG_H
#define EDGESIM_JPEG_H

#include <stddef.h>
#include <stdint.h>

#include "edgesim/status.h"

typedef enum es_jpeg_pixel_format {
  ES_JPEG_GRAY8 = 0,  /* one byte per pixel: the luma (Y) plane */
  ES_JPEG_RGB888 = 1  /* three bytes per pixel, R G B */
} es_jpeg_pixel_format;

#define ES_JPEG_MAX_COMPONENTS 3
#define ES_JPEG_MAX_SAMPLING 4

/* What the frame header says; filled by es_jpeg_read_info(). */
typedef struct es_jpeg_info {
  uint16_t width;
  uint16_t height;
  uint8_t components;                 /* 1 or 3 */
  uint8_t h_samp[ES_JPEG_MAX_COMPONENTS]; /* horizontal sampling factor per component */
  uint8_t v_samp[ES_JPEG_MAX_COMPONENTS]; /* vertical sampling factor per component */
  uint16_t restart_interval;          /* MCUs between restart markers, 0 = none (as of the first scan) */
} es_jpeg_info;

/* Parse the markers up to the first scan header.  On failure *detail (if
 * detail is not NULL) points at a static description of the problem. */
es_status es_jpeg_read_info(const uint8_t *data, size_t size, es_jpeg_info *info,
                            const char **detail);

/* Bytes of workspace es_jpeg_decode() needs for this image and format. */
es_status es_jpeg_workspace_size(const es_jpeg_info *info, es_jpeg_pixel_format format,
                                 size_t *bytes);

/* Bytes of output for this image and format (width * height * channels). */
es_status es_jpeg_output_size(const es_jpeg_info *info, es_jpeg_pixel_format format,
                              size_t *bytes);

/* Decode a whole JPEG into out (rows top-down, no padding).  workspace must
 * hold es_jpeg_workspace_size() bytes (any alignment); out must hold
 * es_jpeg_output_size() bytes.  On corrupt data returns ES_ERR_IMAGE_FORMAT
 * and sets *detail; out may then be partly written. */
es_status es_jpeg_decode(const uint8_t *data, size_t size, es_jpeg_pixel_format format,
                         void *workspace, size_t workspace_size, uint8_t *out, size_t out_size,
                         const char **detail);

#endif /* EDGESIM_JPEG_H */
