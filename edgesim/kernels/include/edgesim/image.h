/* Camera frame -> a square int8 model input, gray or RGB (96x96 gray for
 * person detection).
 *
 * Pipeline (one stage per file in dsp/image/):
 *   pixel.h          luma or one colour channel of a pixel in any supported
 *                    format
 *   crop.c           centre crop to the largest square
 *   resize_area.c    exact area average    } square crop -> out_side x out_side
 *   resize_bilinear.c  bilinear, half-pixel centres  } gray or one channel (uint8)
 *   quantize.c       int8 = gray - 128 (the model's zero point is -1 with
 *                    scale 1/127.5, but gray - 128 is the natural mapping the
 *                    reference results use, see ../shared/models/README.md)
 *   preprocess.c     validation + the stages above
 *
 * Integer arithmetic, documented once here:
 *   Luma of RGB: Y = (9798 R + 19235 G + 3735 B + 16384) >> 15, i.e. the
 *     BT.601 weights 0.299/0.587/0.114 in Q15 (they sum to 32768, so white
 *     stays 255), rounded half up.  OpenCV 5's COLOR_RGB2GRAY computes the
 *     same numbers.
 *   RGB565 channels are widened to 8 bits by bit replication
 *     (r8 = r5 << 3 | r5 >> 2, g8 = g6 << 2 | g6 >> 4), so 0 -> 0, max -> 255.
 *   YUYV: the luma is the Y byte as the sensor gives it (no range
 *     expansion: what the sensor calls black and white is what the model sees).
 *   RGB output: each channel is resized on its own with the same arithmetic
 *     as luma (a gray frame gives R = G = B = gray); YUYV frames give gray
 *     output only.  Output is interleaved (side x side x 3, HWC).
 *   Crop: side = min(width, height), left = (width - side) / 2,
 *     top = (height - side) / 2 (integer division, so odd margins leave the
 *     extra column/row on the right/bottom).
 *   Area average (S = crop side, D = out side): output pixel o covers the
 *     source interval [o*S/D, (o+1)*S/D).  Measured in units of 1/D source
 *     pixel all overlaps are integers, so out = (sum w_x w_y p + S*S/2) / (S*S)
 *     with integer weights w (sum of w_x = S): exact, rounded half up.
 *   Bilinear: source coordinate x = (o + 0.5) * S / D - 0.5 (pixel centres
 *     aligned, as OpenCV/TF half_pixel_centers), clamped to [0, S-1].  In
 *     units of 1/(2D) pixel that is (2o+1)*S - D, so the weights of the two
 *     neighbours are integers f and 2D - f and
 *     out = (sum w_x w_y p + (2D)^2/2) / (2D)^2, rounded half up.
 *   When S == D both methods are the identity.  Bilinear reads only the 2x2
 *   nearest pixels, so it aliases when S is several times D; area (the
 *   default) uses every pixel.
 *
 * Usage:
 *   es_image_params p = {width, height, 0, ES_PIXEL_RGB565, ES_RESIZE_AREA};
 *   int8_t input[ES_IMAGE_SIDE * ES_IMAGE_SIDE];
 *   const char *detail;
 *   if (es_image_preprocess(&p, frame, frame_bytes, input, &detail) != ES_OK) ...
 *   // any square size, gray or RGB:
 *   const es_image_output rgb = {128, 3};
 *   es_image_preprocess_to(&p, &rgb, frame, frame_bytes, input_128x128x3, &detail);
 */
#ifndef EDGESIM_IMAGE_H
#define EDGESIM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "edgesim/config.h"
#include "edgesim/status.h"

/* Pixel formats; the numbers are stable (they travel in protocol frames). */
typedef enum es_pixel_format {
  ES_PIXEL_GRAY8 = 0,    /* 1 byte: luma */
  ES_PIXEL_RGB888 = 1,   /* 3 bytes: R, G, B */
  ES_PIXEL_BGR888 = 2,   /* 3 bytes: B, G, R (OpenCV's order) */
  ES_PIXEL_RGB565 = 3,   /* 2 bytes, big-endian (high byte first) as an OV767x
                            streams it over its 8-bit bus: RRRRRGGG GGGBBBBB */
  ES_PIXEL_RGB565LE = 4, /* 2 bytes, little-endian (low byte first), as a
                            uint16 framebuffer on a little-endian CPU */
  ES_PIXEL_YUYV = 5,     /* YUV 4:2:2, 4 bytes per 2 pixels: Y0 U Y1 V;
                            width must be even */
  ES_PIXEL_FORMAT_COUNT
} es_pixel_format;

typedef enum es_resize_method {
  ES_RESIZE_AREA = 0,
  ES_RESIZE_BILINEAR = 1,
  ES_RESIZE_METHOD_COUNT
} es_resize_method;

typedef struct es_image_params {
  int32_t width;          /* pixels, 1..ES_IMAGE_MAX_DIM */
  int32_t height;         /* pixels, 1..ES_IMAGE_MAX_DIM */
  int32_t stride;         /* bytes from one row to the next; 0 = packed */
  int32_t pixel_format;   /* es_pixel_format */
  int32_t resize;         /* es_resize_method */
} es_image_params;

/* A square region of a frame. */
typedef struct es_image_rect {
  int32_t left;
  int32_t top;
  int32_t side;
} es_image_rect;

/* What a resize stage reads from each pixel (zero: luma). */
typedef enum es_image_channel {
  ES_CHANNEL_LUMA = 0,
  ES_CHANNEL_RED = 1,
  ES_CHANNEL_GREEN = 2,
  ES_CHANNEL_BLUE = 3
} es_image_channel;

/* A frame as the resize stages read it: rows of `stride` bytes; channel
 * (es_image_channel) is what each output byte holds, written every out_step
 * bytes (0 or 1: packed).  Zero-initialized extras give packed luma. */
typedef struct es_image_view {
  const uint8_t *data;
  int32_t stride;
  int32_t pixel_format;
  int32_t channel;
  int32_t out_step;
} es_image_view;

/* The model input a frame becomes: side x side x channels int8. */
typedef struct es_image_output {
  int32_t side;     /* 1..ES_IMAGE_MAX_OUT_SIDE */
  int32_t channels; /* 1 (gray) or 3 (R, G, B) */
} es_image_output;

/* Bytes per pixel of a format (YUYV: 2); 0 for an unknown format. */
int32_t es_pixel_format_bytes(int32_t pixel_format);

/* Check params against a buffer of `length` bytes.  ES_ERR_ARGUMENT for an
 * unknown format or resize method or a NULL pointer, ES_ERR_INPUT_DATA for
 * sizes that are zero, negative, absurd, odd YUYV widths, a stride shorter
 * than a row, or a buffer too short for the frame; *detail (if not NULL)
 * then names the problem. */
es_status es_image_validate(const es_image_params *params, size_t length, const char **detail);

/* Largest centred square of a width x height frame. */
es_status es_image_center_crop(int32_t width, int32_t height, es_image_rect *rect);

/* Resize the square `rect` of `view` to out_side x out_side gray bytes.
 * out_side is 1..ES_IMAGE_MAX_OUT_SIDE; the caller has validated the view. */
#define ES_IMAGE_MAX_OUT_SIDE 1024
es_status es_image_resize_area(const es_image_view *view, const es_image_rect *rect,
                               int32_t out_side, uint8_t *out);
es_status es_image_resize_bilinear(const es_image_view *view, const es_image_rect *rect,
                                   int32_t out_side, uint8_t *out);

/* int8 = gray - 128 for `count` pixels (out may alias gray). */
es_status es_image_quantize(const uint8_t *gray, size_t count, int8_t *out);

/* Whole pipeline: validate, centre crop, resize to ES_IMAGE_SIDE squared,
 * quantize into out (ES_IMAGE_SIDE * ES_IMAGE_SIDE int8). */
es_status es_image_preprocess(const es_image_params *params, const uint8_t *data, size_t length,
                              int8_t *out, const char **detail);
/* The same to an output of any square side, gray or RGB: out holds
 * side * side * channels bytes.  ES_ERR_ARGUMENT for an output it cannot
 * make (side out of range, channels not 1 or 3, RGB from YUYV). */
es_status es_image_preprocess_to(const es_image_params *params, const es_image_output *output,
                                 const uint8_t *data, size_t length, int8_t *out, const char **detail);

/* The frame an app's camera sensor declares (dsp/image/frame.c): centre crop
 * to out_width:out_height proportions, exact area average to out_width x
 * out_height gray bytes (up or down).  params->resize must be valid but is
 * not used (always area).  Validation and *detail as es_image_preprocess. */
es_status es_image_to_frame(const es_image_params *params, const uint8_t *data, size_t length,
                            int32_t out_width, int32_t out_height, uint8_t *out, const char **detail);

#endif /* EDGESIM_IMAGE_H */
