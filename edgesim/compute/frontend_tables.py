"""The audio front end's window and mel filter bank tables, as upstream derives them.

tflite-micro's signal library (filter_bank_ops._init_filter_bank_weights)
computes them in float32 with log1pf; this does the same with the host C
library's log1pf (through ctypes), once, so every target gets one table:
dsp/audio/gen_audio_tables.py writes micro_speech's bank (40 channels,
125..7500 Hz) into the firmware sources, and apps with another num_channels
or band edges get theirs from here, handed to the C front end
(es_audio_filterbank_table) on the host and written into the firmware's
app_config.h.
"""
from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

_libm = ctypes.CDLL(ctypes.util.find_library("m"))
_libm.log1pf.argtypes = [ctypes.c_float]
_libm.log1pf.restype = ctypes.c_float
f32 = np.float32


# --- window: window_op.hann_window_weights (float64, round half to even) ---
def hann_window(length: int, shift: int) -> list[int]:
    index = np.arange(length)
    weights = 0.5 - 0.5 * np.cos(np.pi * 2 / length * (index + 0.5))
    return np.round(weights * (2**shift)).astype(np.int16).tolist()


def planar(values: list[int]) -> list[int]:
    """Even-indexed values first, then odd-indexed: the layout es_audio_window_planar_n reads."""
    return values[0::2] + values[1::2]


# --- mel filter bank: filter_bank_ops._init_filter_bank_weights in float32 ---
def freq_to_mel(freq: float) -> np.float32:
    return f32(1127.0) * f32(_libm.log1pf(float(f32(freq) / f32(700.0))))


def filter_bank(fft_length: int, sample_rate: int, num_channels: int, lower: float, upper: float,
                weight_bits: int, alignment: int, block: int) -> dict[str, list[int] | int]:
    index_alignment = max(1, alignment // 2)  # alignment is in bytes of int16
    spectrum_size = fft_length / 2 + 1
    mel_lower = freq_to_mel(lower)
    mel_spacing = (freq_to_mel(upper) - mel_lower) / f32(num_channels + 1)
    centers = mel_lower + mel_spacing * np.arange(1, num_channels + 2, dtype=np.float32)
    hz_per_sbin = (sample_rate / 2) / (spectrum_size - 1)
    start_index = round(1 + lower / hz_per_sbin)

    freq_starts = [0] * (num_channels + 1)
    weight_starts = [0] * (num_channels + 1)
    widths = [0] * (num_channels + 1)
    actual_starts = [0] * (num_channels + 1)
    actual_widths = [0] * (num_channels + 1)
    chan_freq_start, weight_index, needs_zeros = start_index, 0, False
    for chan in range(num_channels + 1):
        freq_index = chan_freq_start
        while freq_to_mel(freq_index * hz_per_sbin) <= centers[chan]:
            freq_index += 1
        width = freq_index - chan_freq_start
        actual_starts[chan], actual_widths[chan] = chan_freq_start, width
        if width == 0:  # empty channel: points at one shared zero weight
            freq_starts[chan], weight_starts[chan], widths[chan] = 0, 0, block
            if not needs_zeros:
                needs_zeros = True
                for j in range(chan):
                    weight_starts[j] += block
                weight_index += block
        else:  # start on an aligned bin, pad the width to whole blocks (zero weights)
            aligned_start = chan_freq_start // index_alignment * index_alignment
            padded = ((chan_freq_start - aligned_start + width - 1) // block + 1) * block
            freq_starts[chan], weight_starts[chan], widths[chan] = aligned_start, weight_index, padded
            weight_index += padded
        chan_freq_start = freq_index

    weights = [0] * weight_index
    unweights = [0] * weight_index
    end_index = 0
    scale = 1 << weight_bits
    for chan in range(num_channels + 1):
        frequency = actual_starts[chan]
        denom = mel_lower if chan == 0 else centers[chan - 1]
        for j in range(actual_widths[chan]):
            num = f32(centers[chan] - freq_to_mel(frequency * hz_per_sbin))
            den = f32(centers[chan] - denom)
            weight = num / den
            k = weight_starts[chan] + (actual_starts[chan] - freq_starts[chan]) + j
            weights[k] = int(weight * f32(scale))
            unweights[k] = int((f32(1) - weight) * f32(scale))
            frequency += 1
        end_index = max(end_index, frequency)
    if end_index >= spectrum_size:
        raise ValueError("filter bank upper band limit is above the Nyquist frequency")
    # The same weights as a sequence of steps, without the padding: bin b
    # (start <= b < end) belongs to exactly one channel, whose actual ranges
    # tile [start, end).
    program = []
    next_bin = start_index
    for chan in range(num_channels + 1):
        if actual_starts[chan] != next_bin:
            raise ValueError("filter bank channels do not tile the spectrum")
        for j in range(actual_widths[chan]):
            k = weight_starts[chan] + (actual_starts[chan] - freq_starts[chan]) + j
            if weights[k] < 0 or unweights[k] < 0:
                raise ValueError("negative filter bank weight")
            program.append(f"BIN({actual_starts[chan] + j}, {weights[k]}, {unweights[k]})")
        program.append(f"END({chan})")
        next_bin = actual_starts[chan] + actual_widths[chan]
    if next_bin != end_index:
        raise ValueError("filter bank channels do not tile the spectrum")
    # The flat form es_audio_filterbank_table reads: per bin of [start, end) its weights, and
    # where each channel's bins end.
    bins = {actual_starts[chan] + j: weight_starts[chan] + (actual_starts[chan] - freq_starts[chan]) + j
            for chan in range(num_channels + 1) for j in range(actual_widths[chan])}
    bin_weights = [weights[bins[b]] for b in range(start_index, end_index)]
    bin_unweights = [unweights[bins[b]] for b in range(start_index, end_index)]
    channel_ends = [actual_starts[chan] + actual_widths[chan] for chan in range(num_channels + 1)]
    return dict(start=start_index, end=end_index, weights=weights, unweights=unweights,
                freq_starts=freq_starts, weight_starts=weight_starts, widths=widths, program=program,
                bin_weights=bin_weights, bin_unweights=bin_unweights, channel_ends=channel_ends)
