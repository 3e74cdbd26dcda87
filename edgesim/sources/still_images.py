"""Still images without OpenCV: BMP and PNG in Python, JPEG through edgesim's own C decoder.

    >>> pixels, pixel_format = decode_image(Path("person.jpg").read_bytes(), "person.jpg")
    >>> pixel_format, pixels.shape            # ('rgb888', (H, W, 3)) or ('gray8', (H, W))

The pixels are those OpenCV's imdecode gives (the tests compare them), in RGB
order: gray stays gray (also BMP palette images whose palette is gray), colour
palettes are looked up, alpha is dropped.  Supported: BMP with 1/4/8-bit
palettes or 24/32-bit pixels (uncompressed); PNG with 8-bit samples (and
1/2/4-bit gray or palette), any filter, not interlaced; baseline JPEG.  What
else (progressive JPEG, 16-bit PNG, RLE BMP) goes to OpenCV when it is
installed, else raises SourceError saying what the file is.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

from edgesim.errors import SourceError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Unsupported(Exception):
    """A valid file this reader does not handle (OpenCV may)."""


def decode_image(blob: bytes, name: str) -> tuple[np.ndarray, str]:
    """(pixels, "gray8" | "rgb888") of a BMP, PNG or JPEG file's bytes."""
    try:
        if blob[:2] == b"BM":
            return _decode_bmp(blob)
        if blob[:8] == PNG_SIGNATURE:
            return _decode_png(blob)
        if blob[:2] == b"\xff\xd8":
            return _decode_jpeg(blob)
    except (struct.error, IndexError, ValueError, zlib.error) as error:
        raise SourceError(f"{name}: corrupt or unsupported image ({error})") from None
    except SourceError as error:  # the JPEG kernel's reason, with the file named
        raise SourceError(f"{name}: {error}") from None
    raise Unsupported("not a BMP, PNG or JPEG file")


def _rgb(rgb: np.ndarray) -> tuple[np.ndarray, str]:
    return np.ascontiguousarray(rgb), "rgb888"


def _palette_lookup(indices: np.ndarray, palette: np.ndarray, gray_if_gray: bool) -> tuple[np.ndarray, str]:
    """Palette colours; a gray palette gives gray8 where OpenCV does so too (BMP, not PNG)."""
    if int(indices.max(initial=0)) >= len(palette):
        raise ValueError("palette index out of range")
    if gray_if_gray and np.array_equal(palette[:, 0], palette[:, 1]) and np.array_equal(palette[:, 1], palette[:, 2]):
        return np.ascontiguousarray(palette[indices, 0]), "gray8"
    return _rgb(palette[indices])


def _unpack_bits(rows: np.ndarray, bits: int, width: int) -> np.ndarray:
    """Rows of packed 1/2/4-bit samples (most significant first) to one uint8 per sample."""
    if bits == 8:
        return rows[:, :width]
    per_byte = 8 // bits
    shifts = np.arange(8 - bits, -1, -bits, dtype=np.uint8)
    samples = (rows[:, :, None] >> shifts) & ((1 << bits) - 1)
    return samples.reshape(rows.shape[0], rows.shape[1] * per_byte)[:, :width]


def _decode_bmp(blob: bytes) -> tuple[np.ndarray, str]:
    pixel_offset, header_size = struct.unpack_from("<I I", blob, 10)
    if header_size < 40:
        raise Unsupported(f"OS/2 BMP header ({header_size} bytes)")
    width, height, _planes, bits, compression = struct.unpack_from("<i i H H I", blob, 18)
    colors_used = struct.unpack_from("<I", blob, 46)[0]
    if compression not in (0, 3) or (compression == 3 and bits != 32):
        raise Unsupported(f"compressed BMP (compression {compression})")
    if width <= 0 or height == 0 or bits not in (1, 4, 8, 24, 32):
        raise Unsupported(f"BMP with {bits}-bit pixels, size {width}x{height}")
    top_down = height < 0
    height = abs(height)
    stride = (width * bits + 31) // 32 * 4
    end = pixel_offset + stride * height
    if end > len(blob):
        raise ValueError(f"pixel data ends at byte {end}, file has {len(blob)}")
    rows = np.frombuffer(blob, np.uint8, stride * height, pixel_offset).reshape(height, stride)
    if not top_down:
        rows = rows[::-1]
    if bits <= 8:
        count = colors_used or (1 << bits)
        table = np.frombuffer(blob, np.uint8, 4 * count, 14 + header_size).reshape(count, 4)
        return _palette_lookup(_unpack_bits(rows, bits, width), table[:, 2::-1], gray_if_gray=True)
    channels = bits // 8
    bgr = rows[:, :width * channels].reshape(height, width, channels)[:, :, :3]
    return _rgb(bgr[:, :, ::-1])


def _png_chunks(blob: bytes) -> dict[bytes, list[bytes]]:
    chunks: dict[bytes, list[bytes]] = {}
    offset = len(PNG_SIGNATURE)
    while offset < len(blob):
        length, kind = struct.unpack_from(">I 4s", blob, offset)
        data = blob[offset + 8:offset + 8 + length]
        if len(data) != length:
            raise ValueError(f"{kind.decode('latin-1')} chunk is cut short")
        chunks.setdefault(kind, []).append(data)
        offset += 12 + length
        if kind == b"IEND":
            break
    return chunks


def _unfilter(raw: bytes, height: int, row_bytes: int, bpp: int) -> np.ndarray:
    """Undo PNG's per-row filters (None, Sub, Up, Average, Paeth)."""
    out = np.zeros((height, row_bytes), np.uint8)
    previous = np.zeros(row_bytes, np.int32)
    for y in range(height):
        start = y * (row_bytes + 1)
        kind = raw[start]
        line = np.frombuffer(raw, np.uint8, row_bytes, start + 1).astype(np.int32)
        if kind == 0:
            current = line
        elif kind == 2:
            current = (line + previous) & 0xFF
        elif kind in (1, 3, 4):  # these depend on the bytes to their left: one pass per pixel column
            current = line.copy()
            for x in range(row_bytes):
                left = current[x - bpp] if x >= bpp else 0
                if kind == 1:
                    predictor = left
                elif kind == 3:
                    predictor = (left + previous[x]) >> 1
                else:
                    up_left = previous[x - bpp] if x >= bpp else 0
                    p = left + previous[x] - up_left
                    pa, pb, pc = abs(p - left), abs(p - previous[x]), abs(p - up_left)
                    predictor = left if pa <= pb and pa <= pc else previous[x] if pb <= pc else up_left
                current[x] = (current[x] + predictor) & 0xFF
        else:
            raise ValueError(f"row {y} has unknown filter type {kind}")
        out[y] = current
        previous = current
    return out


def _decode_png(blob: bytes) -> tuple[np.ndarray, str]:
    chunks = _png_chunks(blob)
    if b"IHDR" not in chunks or b"IDAT" not in chunks:
        raise ValueError("missing IHDR or IDAT chunk")
    width, height, bits, color_type, _compression, _filter, interlace = struct.unpack(">I I B B B B B",
                                                                                      chunks[b"IHDR"][0][:13])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(color_type)
    depths = {0: (1, 2, 4, 8, 16), 3: (1, 2, 4, 8)}.get(color_type, (8, 16))
    if channels is None or bits not in depths or width == 0 or height == 0:
        raise ValueError(f"color type {color_type} with {bits}-bit samples, size {width}x{height}")
    if interlace or bits == 16 or (bits < 8 and color_type not in (0, 3)):
        raise Unsupported(f"{'interlaced ' if interlace else ''}PNG with {bits}-bit samples")
    row_bytes = (width * channels * bits + 7) // 8
    raw = zlib.decompress(b"".join(chunks[b"IDAT"]))
    if len(raw) < height * (row_bytes + 1):
        raise ValueError("image data is cut short")
    rows = _unfilter(raw, height, row_bytes, max(1, channels * bits // 8))
    if color_type == 3:
        palette = np.frombuffer(chunks.get(b"PLTE", [b""])[0], np.uint8)
        return _palette_lookup(_unpack_bits(rows, bits, width), palette[:len(palette) // 3 * 3].reshape(-1, 3),
                               gray_if_gray=False)
    if color_type == 4:  # gray + alpha: OpenCV gives it as colour
        gray = rows.reshape(height, width, 2)[:, :, 0]
        return _rgb(np.repeat(gray[:, :, None], 3, axis=2))
    if color_type == 0:
        gray = _unpack_bits(rows, bits, width)
        if bits < 8:  # scale 1/2/4-bit gray to 0..255 as decoders do
            gray = (gray.astype(np.uint16) * 255 // ((1 << bits) - 1)).astype(np.uint8)
        return np.ascontiguousarray(gray), "gray8"
    return _rgb(rows.reshape(height, width, channels)[:, :, :3])


def _decode_jpeg(blob: bytes) -> tuple[np.ndarray, str]:
    from edgesim.compute import jpeg

    try:
        _width, _height, components = jpeg.info(blob)
        return (jpeg.decode(blob), "gray8") if components == 1 else (jpeg.decode(blob, rgb=True), "rgb888")
    except SourceError as error:
        if "not supported" in str(error):  # a valid JPEG beyond baseline (progressive, arithmetic, ...)
            raise Unsupported(str(error)) from None
        raise
