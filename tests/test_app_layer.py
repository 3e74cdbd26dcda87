"""The one C app layer (kernels/app/, edgesim._app) against the semantics it implements.

Feeds: the audio feed's inputs are the newest window of front-end frames on the
documented schedule and timestamps, whatever the chunking; the stroke feed's
inputs are the rasters of an independent model of the sketch's segmenter.
Post feed: the recognizer (TFLM RecognizeCommands) with the report mask,
hysteresis enter/leave with their labels, classify with a minimum score.
Host == emulator is tests/test_emulator.py; the C under sanitizers is
tests/c/test_app.c.
"""
from __future__ import annotations

import numpy as np
import pytest

from edgesim import _app
from edgesim.compute.frontend import AudioFrontend
from edgesim.compute.imu import RASTER_RANGE_Q12
from edgesim.errors import KernelError
from imu_reference import SketchModel, rasterize_reference, synthetic_circle_stream
from native_build import assert_compiles_warning_free, build_harness, kernel_sources, run_harness
from test_post import UpstreamRecognizer

CHANNELS, HOP, WINDOW, RATE = 40, 320, 480, 16000


def speech_like(seconds: float, seed: int) -> np.ndarray:
    """Noise bursts and tones: features that change from frame to frame."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    envelope = (np.sin(2 * np.pi * 1.3 * t) > 0).astype(np.float64)
    audio = envelope * 6000 * np.sin(2 * np.pi * (300 + 200 * np.sin(t)) * t) + rng.normal(0, 400, n)
    return np.clip(audio, -32768, 32767).astype(np.int16)


def expected_inputs(samples: np.ndarray, window_frames: int, every: int) -> list[tuple[int, np.ndarray]]:
    """The documented semantics on the front end's frames: zero rows before the
    first frame, due when full then every `every` frames, t_ms at the end of
    the newest frame's window."""
    frames = AudioFrontend().process(samples)
    padded = np.concatenate([np.zeros((window_frames, CHANNELS), np.int8), frames])
    out = []
    for n in range(1, len(frames) + 1):
        if n >= window_frames and (n - window_frames) % every == 0:
            t_ms = ((n - 1) * HOP + WINDOW) * 1000 // RATE
            out.append((t_ms, padded[n:n + window_frames].reshape(-1)))
    return out


def feed_in_chunks(feed: _app.AudioFeed, samples: np.ndarray, sizes: list[int]) -> list[tuple[int, np.ndarray]]:
    out, start = [], 0
    for size in sizes:
        out += [(t, np.frombuffer(b, np.int8)) for t, b in feed.push(samples[start:start + size])]
        start += size
    return out


def random_sizes(rng: np.random.Generator, total: int) -> list[int]:
    sizes = []
    while sum(sizes) < total:
        sizes.append(int(rng.choice([0, 1, 7, 159, 160, 320, 321, 480, 1600, 5000])))
    return sizes


@pytest.mark.parametrize("window_frames, every, seed", [(49, 2, 0), (49, 1, 1), (3, 5, 2), (1, 1, 3), (10, 7, 4)])
def test_audio_feed_is_the_window_schedule_and_time_of_the_front_end_frames(window_frames: int, every: int,
                                                                            seed: int) -> None:
    samples = speech_like(2.5, seed)
    expected = expected_inputs(samples, window_frames, every)
    rng = np.random.default_rng(seed)
    feed = _app.AudioFeed(window_frames, every)
    got = feed_in_chunks(feed, samples, random_sizes(rng, len(samples)))
    assert len(got) == len(expected) > 0
    for (t_got, x_got), (t_want, x_want) in zip(got, expected):
        assert t_got == t_want
        assert np.array_equal(x_got, x_want)
    assert feed.frames == len(AudioFrontend().process(samples))


@pytest.mark.parametrize("hop", [160, 480, 1, 317])
def test_other_front_end_steps_give_the_upstream_preprocessor_features_of_those_windows(hop: int) -> None:
    """step_ms: the same stages on windows every `hop` samples, state carried
    from window to window as in the TFLM preprocessor fed at that hop."""
    from conftest import shared_path

    tflm = pytest.importorskip("tflite_micro", reason="tflite-micro (the oracle) not installed")
    oracle = tflm.runtime.Interpreter.from_file(str(shared_path("models", "audio_preprocessor_int8.tflite")))
    samples = speech_like(0.4 if hop == 1 else 2.0, hop)
    want = []
    for start in range(0, len(samples) - WINDOW + 1, hop):
        oracle.set_input(samples[start:start + WINDOW].reshape(1, WINDOW), 0)
        oracle.invoke()
        want.append(oracle.get_output(0).copy().reshape(-1))
    feed = _app.AudioFeed(1, 1, hop)
    got = feed_in_chunks(feed, samples, random_sizes(np.random.default_rng(hop), len(samples)))
    assert len(got) == len(want) > 0
    assert all(np.array_equal(g, w) for (_, g), w in zip(got, want))
    assert [t for t, _ in got] == [((n - 1) * hop + WINDOW) * 1000 // RATE for n in range(1, len(got) + 1)]


def preprocessor_without(ops: tuple[str, ...], graph: bytes | None = None) -> bytes:
    """The upstream preprocessor graph (or `graph`) with the named signal ops cut out: each
    removed op's consumers read the op's first input instead (the oracle for
    a front end that skips those stages)."""
    import flatbuffers
    from conftest import shared_path
    from oplib.model import schema

    data = graph or shared_path("models", "audio_preprocessor_int8.tflite").read_bytes()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    graph = model.subgraphs[0]
    kept = []
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex].customCode
        if code is not None and code.decode() in ops:
            for later in graph.operators:
                later.inputs = [op.inputs[0] if t == op.outputs[0] else t for t in later.inputs]
        else:
            kept.append(op)
    assert len(graph.operators) - len(kept) == len(ops)
    graph.operators = kept
    builder = flatbuffers.Builder(len(data) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def preprocessor_with_filterbank(channels: int, lower_hz: float, upper_hz: float) -> bytes:
    """The upstream preprocessor graph with another mel filter bank: the filter bank's constant
    tensors and options, the energy band, its slice and zero padding, and every per-channel shape
    as tflite-micro's signal library builds them for those settings (tables from the same
    generator, edgesim/compute/frontend_tables.py, checked against the stock graph below)."""
    import flatbuffers
    from conftest import shared_path
    from flatbuffers import flexbuffers
    from oplib.model import schema

    from edgesim.compute.frontend_tables import filter_bank

    bank = filter_bank(512, RATE, channels, lower_hz, upper_hz, 12, 4, 4)
    start, end, bins = bank["start"], bank["end"], 257
    data = shared_path("models", "audio_preprocessor_int8.tflite").read_bytes()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    graph = model.subgraphs[0]
    by_name = {tensor.name.decode(): tensor for tensor in graph.tensors}

    def set_constant(name: str, values: list[int], dtype: type) -> None:
        tensor = by_name[name]
        array = np.asarray(values, dtype)
        tensor.shape = np.asarray(array.shape, np.int32)
        model.buffers[tensor.buffer].data = np.frombuffer(array.tobytes(), np.uint8)

    for suffix, key in (("", "weights"), ("_1", "unweights"), ("_2", "freq_starts"), ("_3", "weight_starts"),
                        ("_4", "widths")):
        set_constant(f"signal_filter_bank/Const{suffix}", bank[key], np.int16)
    set_constant("strided_slice/stack", [start], np.int32)
    set_constant("strided_slice/stack_1", [end], np.int32)
    set_constant("zeros", [0] * start, np.int32)
    set_constant("zeros_1", [0] * (bins - end), np.int32)
    by_name["strided_slice"].shape = np.asarray([end - start], np.int32)
    for tensor in graph.tensors:
        if list(tensor.shape) == [CHANNELS] and not tensor.name.decode().startswith("signal_filter_bank/Const"):
            tensor.shape = np.asarray([channels], np.int32)
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex].customCode
        if code is None:
            continue
        options = flexbuffers.Loads(bytes(bytearray(op.customOptions)))
        if code.decode() == "SignalEnergy":
            options.update(start_index=start, end_index=end)
        if "num_channels" in options:
            options["num_channels"] = channels
        op.customOptions = np.frombuffer(bytes(flexbuffers.Dumps(options)), np.uint8)
    builder = flatbuffers.Builder(len(data) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def preprocessor_with_window(samples: int, graph: bytes) -> bytes:
    """`graph` taking windows of `samples` (the same 512-point FFT): its input, Hann weights and
    reshape for that length, as the signal library builds the preprocessor for window_ms."""
    import flatbuffers
    from oplib.model import schema

    from edgesim.compute.frontend_tables import hann_window

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(graph, 0))
    tensors = model.subgraphs[0].tensors
    by_name = {tensor.name.decode(): tensor for tensor in tensors}
    for name, values, dtype in (("Const", hann_window(samples, 12), np.int16), ("Reshape/shape", [samples], np.int32)):
        tensor = by_name[name]
        array = np.asarray(values, dtype)
        tensor.shape = np.asarray(array.shape, np.int32)
        model.buffers[tensor.buffer].data = np.frombuffer(array.tobytes(), np.uint8)
    for tensor in tensors:
        if tensor.name.decode() != "Const" and list(tensor.shape)[-1:] == [WINDOW]:
            tensor.shape = np.asarray([*list(tensor.shape)[:-1], samples], np.int32)
    builder = flatbuffers.Builder(len(graph) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def frontend_of(**params: object):
    """The audio front end configuration of wake_word with these preprocess parameters (edgesim.app)."""
    from dataclasses import replace

    from edgesim.app import Stage, audio_frontend_config
    from edgesim.apps import load_app

    app = load_app("wake_word")
    return audio_frontend_config(replace(app, preprocess=Stage("audio_frontend", {**app.preprocess.params,
                                                                                  **params})))


@pytest.mark.parametrize("window_ms, step_ms, channels", [(25, 10, 40), (32, 20, 40), (17, 17, 40), (25, 20, 32)])
def test_other_window_lengths_equal_the_upstream_graph_built_for_them(window_ms: int, step_ms: int,
                                                                      channels: int) -> None:
    from conftest import shared_path

    frontend = frontend_of(window_ms=window_ms, step_ms=step_ms, num_channels=channels)
    samples_per_window = window_ms * RATE // 1000
    assert frontend.window_samples == samples_per_window and frontend.window_coeffs is not None
    graph = (preprocessor_with_filterbank(channels, 125, 7500) if channels != CHANNELS else
             shared_path("models", "audio_preprocessor_int8.tflite").read_bytes())
    tflm = pytest.importorskip("tflite_micro", reason="tflite-micro (the oracle) not installed")
    oracle = tflm.runtime.Interpreter.from_bytes(preprocessor_with_window(samples_per_window, graph))
    samples = speech_like(2.0, window_ms)
    want = []
    for start in range(0, len(samples) - samples_per_window + 1, frontend.hop_samples):
        oracle.set_input(samples[start:start + samples_per_window].reshape(1, samples_per_window), 0)
        oracle.invoke()
        want.append(oracle.get_output(0).copy().reshape(-1))
    bank = frontend.filterbank
    table = None if bank is None else (bank.channels, bank.start, bank.end, *(
        np.asarray(v, np.int16).tobytes() for v in (bank.weights, bank.unweights, bank.channel_ends)))
    feed = _app.AudioFeed(1, 1, frontend.hop_samples, True, True, True, table,
                          np.asarray(frontend.window_coeffs, np.int16).tobytes())
    got = feed_in_chunks(feed, samples, random_sizes(np.random.default_rng(window_ms), len(samples)))
    assert len(got) == len(want) > 0
    assert all(np.array_equal(g, w) for (_, g), w in zip(got, want))
    hop = frontend.hop_samples
    assert [t for t, _ in got] == [((n - 1) * hop + samples_per_window) * 1000 // RATE for n in range(1, len(got) + 1)]
    assert len({g.tobytes() for _, g in got}) > 10


def filterbank_of(channels: int, lower_hz: float, upper_hz: float) -> tuple:
    """The AudioFeed argument for a filter bank, from the app's own derivation (edgesim.app)."""
    from dataclasses import replace

    from edgesim.app import Stage, audio_frontend_config
    from edgesim.apps import load_app

    app = load_app("wake_word")
    app = replace(app, preprocess=Stage("audio_frontend", {**app.preprocess.params, "num_channels": channels,
                                                           "lower_band_hz": lower_hz, "upper_band_hz": upper_hz}))
    bank = audio_frontend_config(app).filterbank
    assert bank is not None
    return (bank.channels, bank.start, bank.end,
            *(np.asarray(v, np.int16).tobytes() for v in (bank.weights, bank.unweights, bank.channel_ends)))


def oracle_frames(graph: bytes, samples: np.ndarray, hop: int = HOP) -> list[np.ndarray]:
    tflm = pytest.importorskip("tflite_micro", reason="tflite-micro (the oracle) not installed")
    oracle = tflm.runtime.Interpreter.from_bytes(graph)
    want = []
    for start in range(0, len(samples) - WINDOW + 1, hop):
        oracle.set_input(samples[start:start + WINDOW].reshape(1, WINDOW), 0)
        oracle.invoke()
        want.append(oracle.get_output(0).copy().reshape(-1))
    return want


def test_the_rebuilt_graph_with_the_stock_filter_bank_is_the_stock_graph() -> None:
    """The surgery below changes nothing but the bank: at 40 channels, 125..7500 Hz it is the upstream graph."""
    from conftest import shared_path

    samples = speech_like(1.0, 21)
    stock = oracle_frames(shared_path("models", "audio_preprocessor_int8.tflite").read_bytes(), samples)
    rebuilt = oracle_frames(preprocessor_with_filterbank(CHANNELS, 125, 7500), samples)
    assert len(stock) == len(rebuilt) > 0 and all(np.array_equal(a, b) for a, b in zip(stock, rebuilt))


@pytest.mark.parametrize("channels, lower_hz, upper_hz, noise_reduction, pcan, log_scale", [
    (32, 125, 7500, True, True, True),
    (40, 20, 4000, True, True, True),
    (64, 60, 7900, True, False, True),
    (10, 300, 3000, False, False, True),
    (24, 125, 7500, True, True, False),
    (1, 125, 7500, True, True, True),
])
def test_other_channel_counts_and_band_edges_equal_the_upstream_graph_built_for_them(
        channels: int, lower_hz: float, upper_hz: float, noise_reduction: bool, pcan: bool, log_scale: bool) -> None:
    removed = tuple(op for op, on in (("SignalFilterBankSpectralSubtraction", noise_reduction), ("SignalPCAN", pcan),
                                      ("SignalFilterBankLog", log_scale)) if not on)
    graph = preprocessor_with_filterbank(channels, lower_hz, upper_hz)
    if removed:
        graph = preprocessor_without(removed, graph)
    samples = speech_like(2.0, channels)
    want = oracle_frames(graph, samples)
    feed = _app.AudioFeed(1, 1, HOP, noise_reduction, pcan, log_scale, filterbank_of(channels, lower_hz, upper_hz))
    assert feed.input_bytes == channels
    got = feed_in_chunks(feed, samples, random_sizes(np.random.default_rng(channels), len(samples)))
    assert len(got) == len(want) > 0
    assert all(g.shape == (channels,) and np.array_equal(g, w) for (_, g), w in zip(got, want))
    assert len({g.tobytes() for _, g in got}) > 10  # features that change: the comparison means something


@pytest.mark.parametrize("noise_reduction, pcan, log_scale, removed", [
    (True, False, True, ("SignalPCAN",)),
    (False, False, True, ("SignalFilterBankSpectralSubtraction", "SignalPCAN")),
    (True, True, False, ("SignalFilterBankLog",)),
    (True, False, False, ("SignalPCAN", "SignalFilterBankLog")),
    (False, False, False, ("SignalFilterBankSpectralSubtraction", "SignalPCAN", "SignalFilterBankLog")),
])
def test_front_ends_without_pcan_noise_reduction_or_log_equal_the_upstream_graph_without_those_ops(
        noise_reduction: bool, pcan: bool, log_scale: bool, removed: tuple[str, ...]) -> None:
    tflm = pytest.importorskip("tflite_micro", reason="tflite-micro (the oracle) not installed")
    oracle = tflm.runtime.Interpreter.from_bytes(preprocessor_without(removed))
    samples = speech_like(2.0, 11)
    want = []
    for start in range(0, len(samples) - WINDOW + 1, HOP):
        oracle.set_input(samples[start:start + WINDOW].reshape(1, WINDOW), 0)
        oracle.invoke()
        want.append(oracle.get_output(0).copy().reshape(-1))
    feed = _app.AudioFeed(1, 1, HOP, noise_reduction, pcan, log_scale)
    got = feed_in_chunks(feed, samples, random_sizes(np.random.default_rng(11), len(samples)))
    full = feed_in_chunks(_app.AudioFeed(1, 1), samples, [len(samples)])
    assert len(got) == len(want) > 0
    assert all(np.array_equal(g, w) for (_, g), w in zip(got, want))
    assert not all(np.array_equal(g, f) for (_, g), (_, f) in zip(got, full))  # the stages did change something
    with pytest.raises(KernelError, match="PCAN needs noise reduction"):
        _app.AudioFeed(1, 1, HOP, False, True)


def test_audio_feed_reset_starts_a_new_stream() -> None:
    samples = speech_like(1.5, 5)
    feed = _app.AudioFeed(20, 3)
    first = feed_in_chunks(feed, samples, [len(samples)])
    feed.reset()
    assert feed.frames == 0
    again = feed_in_chunks(feed, samples, [999] * (len(samples) // 999 + 1))
    assert [t for t, _ in again] == [t for t, _ in first]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(again, first))


def test_audio_feed_rejects_bad_parameters_and_samples() -> None:
    for window_frames, every, hop in ((0, 1, 320), (5, 0, 320), (-3, 2, 320), (1 << 21, 1, 320), (5, 1, 0),
                                      (5, 1, 481)):
        with pytest.raises(KernelError, match="window_frames"):
            _app.AudioFeed(window_frames, every, hop)
    with pytest.raises(KernelError, match="int16"):
        _app.AudioFeed(5, 1).push(b"\x00\x01\x02")
    assert _app.AudioFeed(5, 1).push(b"") == []


def stroke_feed() -> _app.StrokeFeed:
    return _app.StrokeFeed(119.0, RASTER_RANGE_Q12, RASTER_RANGE_Q12)


def test_stroke_feed_rasterizes_the_strokes_of_an_independent_segmenter_model() -> None:
    samples = np.concatenate([synthetic_circle_stream(seed=1), synthetic_circle_stream(seed=2, radius_deg=12.0),
                              synthetic_circle_stream(seed=7, radius_deg=20.0, tilt_deg=50.0)]).astype(np.float32)
    model = SketchModel()
    expected = []
    for index, sample in enumerate(samples):
        stroke = model.push(sample)
        if stroke is not None:
            expected.append((index + 1, rasterize_reference(stroke).reshape(-1)))
    rng = np.random.default_rng(0)
    feed, got, start = stroke_feed(), [], 0
    while start < len(samples):
        size = int(rng.integers(1, 90))
        got += [(n, np.frombuffer(b, np.int8)) for n, b in feed.push(samples[start:start + size])]
        start += size
    assert len(expected) == 3
    assert [n for n, _ in got] == [n for n, _ in expected]
    assert all(np.array_equal(a, b.astype(np.int8)) for (_, a), (_, b) in zip(got, expected))
    assert feed.samples == len(samples) and not feed.drawing


def test_stroke_feed_says_when_a_stroke_is_cut_off_and_reset_forgets_it() -> None:
    samples = synthetic_circle_stream(seed=1).astype(np.float32)
    model = SketchModel()
    ends = [i for i, s in enumerate(samples) if model.push(s) is not None]
    feed = stroke_feed()
    # Up to just before the stroke completes: the segmenter is mid-stroke.
    assert feed.push(samples[:ends[0]]) == [] and feed.drawing
    feed.reset()
    assert not feed.drawing and feed.samples == 0


def test_stroke_feed_points_and_bad_samples() -> None:
    points = np.array([[0, 0], [40, 40], [-60, 20]], np.int8)
    raster = np.frombuffer(stroke_feed().points(points.tobytes()), np.int8)
    assert np.array_equal(raster, rasterize_reference(points).reshape(-1).astype(np.int8))
    bad = np.zeros((4, 6), np.float32)
    bad[2, 3] = np.nan
    feed = stroke_feed()
    with pytest.raises(KernelError, match="sample 2"):
        feed.push(bad)
    assert feed.samples == 0  # nothing was consumed
    with pytest.raises(KernelError, match="6-float32"):
        feed.push(b"\x00" * 20)


LABELS = 4
NO_HYSTERESIS = (160, 96, 1, 1)
NO_RECOGNIZER = (1000, 200, 1500, 3, 128)


def recognizer_feed(report: list[int], window: int, threshold: int, suppression: int, minimum: int) -> _app.PostFeed:
    return _app.PostFeed(_app.POST_RECOGNIZE, LABELS, report, 0, (window, threshold, suppression, minimum, 512),
                         NO_HYSTERESIS, 0)


@pytest.mark.parametrize("seed", range(4))
def test_post_feed_reports_the_new_commands_of_upstream_recognizer_in_the_report_mask(seed: int) -> None:
    rng = np.random.default_rng(seed)
    window, threshold = int(rng.choice([500, 1000])), int(rng.integers(120, 220))
    suppression, minimum = int(rng.choice([0, 700, 1500])), int(rng.integers(1, 4))
    report = sorted({int(x) for x in rng.integers(0, LABELS, 2)})
    reference = UpstreamRecognizer(window, threshold, suppression, minimum)
    feed = recognizer_feed(report, window, threshold, suppression, minimum)
    now, reported, unreported = 0, 0, 0
    for _ in range(60):
        dominant = int(rng.integers(0, LABELS))
        for _ in range(int(rng.integers(3, 30))):
            now += int(rng.choice([0, 20, 40, 100, 300]))
            scores = rng.integers(-128, -60, LABELS)
            scores[dominant] = rng.integers(40, 128)
            scores = scores.astype(np.int8)
            top, score, is_new = reference.process(scores, now)
            got = feed.process(scores.tobytes(), now)
            if is_new and top in report:
                assert got == (_app.DETECTION_COMMAND, top, score), now
                reported += 1
            else:
                assert got is None, now
                unreported += is_new
    assert reported > 3 and unreported > 0


def test_post_feed_counts_starvation_after_warm_up_only() -> None:
    feed = recognizer_feed([1, 2, 3], 1000, 200, 1500, 3)
    scores = np.array([-128, -128, 127, -128], np.int8).tobytes()
    for t in (0, 100, 200):  # warm-up (spanning < window / 4): starved, not counted against the loop
        feed.process(scores, t)
    assert feed.counts()[3] == 0
    for t in (2000, 4000, 6000):  # one result per window: starved every time
        feed.process(scores, t)
    assert feed.counts() == (6, 6, 0, 3)
    assert (feed.first_t_ms, feed.last_t_ms) == (0, 6000)
    with pytest.raises(KernelError, match="earlier than the previous result at 6000 ms"):
        feed.process(scores, 5999)
    feed.reset()
    assert feed.counts() == (0, 0, 0, 0) and feed.first_t_ms is None


def hysteresis_states(scores: list[int], on: int, off: int, on_count: int, off_count: int) -> list[tuple[bool, bool]]:
    """(active, changed) after each score: the documented hysteresis rules."""
    active, streak, out = False, 0, []
    for q in scores:
        arguing = (q + 128 >= on) if not active else (q + 128 < off)
        streak = streak + 1 if arguing else 0
        changed = streak >= (on_count if not active else off_count)
        if changed:
            active, streak = not active, 0
        out.append((active, changed))
    return out


@pytest.mark.parametrize("labels, watched", [(2, 1), (2, 0), (3, 2)])
def test_post_feed_hysteresis_enters_and_leaves_with_the_documented_labels(labels: int, watched: int) -> None:
    rng = np.random.default_rng(labels + watched)
    on, off, on_count, off_count = 160, 96, 2, 3
    feed = _app.PostFeed(_app.POST_HYSTERESIS, labels, [], watched, NO_RECOGNIZER, (on, off, on_count, off_count), 0)
    rows = rng.integers(-128, 128, (400, labels)).astype(np.int8)
    rows[:, watched] = np.repeat(rng.choice([-100, 0, 60, 120], 100), 4)  # runs long enough to switch
    states = hysteresis_states([int(q) for q in rows[:, watched]], on, off, on_count, off_count)
    changes = 0
    for t, (row, (active, changed)) in enumerate(zip(rows, states)):
        got = feed.process(row.tobytes(), t)
        if not changed:
            assert got is None
            continue
        changes += 1
        label = watched if active or labels != 2 else 1 - watched
        kind = _app.DETECTION_ENTER if active else _app.DETECTION_LEAVE
        assert got == (kind, label, int(row[label]) + 128)
    assert changes > 10


def test_post_feed_classify_takes_the_first_maximum_from_min_score() -> None:
    feed = _app.PostFeed(_app.POST_CLASSIFY, 3, [], 0, NO_RECOGNIZER, NO_HYSTERESIS, 178)
    assert feed.process(np.array([-100, 50, 50], np.int8).tobytes(), 0) == (_app.DETECTION_GESTURE, 1, 178)
    assert feed.process(np.array([-100, 49, 10], np.int8).tobytes(), 1) is None


@pytest.mark.parametrize("args, message", [
    ((_app.POST_CLASSIFY, 1, [], 0, NO_RECOGNIZER, NO_HYSTERESIS, 0), "2..256 labels"),
    ((_app.POST_CLASSIFY, 3, [], 0, NO_RECOGNIZER, NO_HYSTERESIS, 300), "min_score 0..255"),
    ((_app.POST_HYSTERESIS, 3, [], 3, NO_RECOGNIZER, NO_HYSTERESIS, 0), "parameters"),
    ((_app.POST_HYSTERESIS, 3, [], 0, NO_RECOGNIZER, (100, 160, 1, 1), 0), "off_threshold <= on_threshold"),
    ((_app.POST_RECOGNIZE, 3, [3], 0, NO_RECOGNIZER, NO_HYSTERESIS, 0), "report label 3"),
    ((_app.POST_RECOGNIZE, 3, [], 0, (0, 200, 1500, 3, 128), NO_HYSTERESIS, 0), "window > 0"),
    ((9, 3, [], 0, NO_RECOGNIZER, NO_HYSTERESIS, 0), "unknown postprocess kind"),
])
def test_post_feed_rejects_bad_parameters(args: tuple, message: str) -> None:
    with pytest.raises(KernelError, match=message):
        _app.PostFeed(*args)


def test_post_feed_rejects_a_wrong_score_count() -> None:
    feed = _app.PostFeed(_app.POST_CLASSIFY, 3, [], 0, NO_RECOGNIZER, NO_HYSTERESIS, 0)
    with pytest.raises(KernelError, match="expected 3 scores"):
        feed.process(b"\x00\x00", 0)


def test_app_layer_passes_the_c_harness_under_sanitizers() -> None:
    exe = build_harness("test_app", ["tests/c/test_app.c", *kernel_sources("common", "app", "dsp/audio", "dsp/imu", "post")])
    assert run_harness(exe, timeout=120).strip() == "ok app"


def test_app_layer_compiles_warning_free_for_x86_and_cortex_m4(tmp_path) -> None:
    assert_compiles_warning_free(kernel_sources("app"), tmp_path)


def test_app_layer_objects_hold_no_writable_data_and_call_no_allocator_or_printf(tmp_path) -> None:
    import subprocess

    from native_build import KERNELS, require_compiler

    compiler = require_compiler("gcc")
    objects = []
    for source in kernel_sources("app"):
        obj = tmp_path / f"{source.stem}.o"
        subprocess.run([compiler, "-std=c99", "-O2", "-fno-pic", f"-I{KERNELS / 'include'}", "-c", str(source), "-o",
                        str(obj)], check=True, capture_output=True)
        objects.append(str(obj))
    symbols = [line.split() for line in subprocess.run(["nm", *objects], capture_output=True, text=True,
                                                       check=True).stdout.splitlines()]
    writable = [s for s in symbols if len(s) == 3 and s[1] in ("B", "b", "D", "d", "C")]
    forbidden = [s for s in symbols if s and s[-1] in ("malloc", "calloc", "realloc", "free", "printf", "fprintf", "puts")]
    assert len(objects) >= 6 and not writable and not forbidden, (writable, forbidden)


@pytest.mark.parametrize("side", [1, 7, 16, 28, 32])
def test_rasters_of_any_side_up_to_32_equal_the_reference_arithmetic(side: int) -> None:
    from edgesim.compute.imu import rasterize

    rng = np.random.default_rng(side)
    feed = _app.StrokeFeed(119.0, RASTER_RANGE_Q12, RASTER_RANGE_Q12, side)
    for count in (1, 2, 9, 80, 400):
        points = rng.integers(-128, 128, (count, 2)).astype(np.int8)
        want = rasterize_reference(points, side=side).astype(np.int8)
        assert np.array_equal(rasterize(points, side=side), want)
        assert np.array_equal(np.frombuffer(feed.points(points.tobytes()), np.int8), want.reshape(-1))
    for bad in (0, 33):
        with pytest.raises(KernelError, match="side must be 1..32"):
            _app.StrokeFeed(119.0, RASTER_RANGE_Q12, RASTER_RANGE_Q12, bad)


def test_app_layer_fuzzer_runs_clean_for_a_bounded_time(tmp_path) -> None:
    from native_build import fuzz_target_sources, run_fuzzer

    run_fuzzer("fuzz_app", fuzz_target_sources("fuzz_app"), tmp_path, seconds=10, max_len=4096)


@pytest.mark.parametrize("kernel, params, message", [
    ("image", {"size": 0}, "size must be a whole number from 1 to 1024"),
    ("image", {"size": 96.5}, "size must be a whole number"),
    ("image", {"channels": 2}, "channels must be 1 \\(gray\\) or 3"),
    ("imu_stroke", {"raster_size": 33}, "raster_size must be a whole number from 1 to 32"),
    ("audio_frontend", {"step_ms": 31}, "step_ms must be a whole number of milliseconds from 1 to 30"),
    ("audio_frontend", {"pcan": True, "noise_reduction": False}, "pcan needs noise_reduction"),
    ("audio_frontend", {"pcan": "no"}, "pcan must be True or False"),
    ("audio_frontend", {"log_scale": 0}, "log_scale must be True or False"),
    ("audio_frontend", {"window_ms": 16}, "window_ms must be a whole number from 17 to 32"),
    ("audio_frontend", {"window_ms": 25, "step_ms": 26}, "step_ms must be a whole number of milliseconds from 1 to 25"),
    ("audio_frontend", {"num_channels": 0}, "num_channels must be a whole number from 1 to 64"),
    ("audio_frontend", {"num_channels": 65}, "num_channels must be a whole number from 1 to 64"),
    ("audio_frontend", {"upper_band_hz": 8000}, "upper_band_hz must be a frequency from 0 to below 8000 Hz"),
    ("audio_frontend", {"lower_band_hz": -1}, "lower_band_hz must be a frequency from 0 to below 8000 Hz"),
    ("audio_frontend", {"lower_band_hz": 4000, "upper_band_hz": 3000}, "lower_band_hz \\(4000\\) must be below"),
])
def test_bad_preprocess_parameters_are_named_on_host_and_firmware_alike(kernel: str, params: dict,
                                                                       message: str) -> None:
    from dataclasses import replace

    from edgesim.app import AppError, Stage
    from edgesim.apps import load_app
    from edgesim.mcu.firmware_builder import app_config_header
    from edgesim.targets.host import FEEDERS

    name = {"image": "person_detection", "imu_stroke": "gesture", "audio_frontend": "wake_word"}[kernel]
    base = load_app(name)
    app = replace(base, preprocess=Stage(kernel, {**base.preprocess.params, **params}))
    with pytest.raises(AppError, match=message):
        FEEDERS[kernel](app)
    with pytest.raises(AppError, match=message):
        app_config_header(app, 1024)
