"""`edgesim eval --report DIR`: one self-contained HTML page plus PNG plots.

Labelled files: confusion matrix, per-class accuracy, and a DET curve per
label (false-reject rate against false-accept rate as the threshold on that
label's int8 score moves; the scores of every file come from the target).
A stream: its score timeline (each reported label's score over time, the
ground-truth words as bands, detections as marks) and, when given, the DET
curve of a calibration sweep (edgesim.evaluation.calibrate).

    page = write_report(Path("report"), app, result, failures, inferences=report.inferences)
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Sequence

from edgesim.app import App
from edgesim.events import InferenceEvent


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def confusion_png(path: Path, result: dict[str, Any]) -> None:
    plt = _pyplot()
    matrix = result["confusion"]
    rows = list(matrix)
    columns = [c for c in next(iter(matrix.values())) if c in rows or any(matrix[r][c] for r in rows)]
    values = [[matrix[r][c] for c in columns] for r in rows]
    figure, axes = plt.subplots(figsize=(1.2 + 0.7 * len(columns), 1.0 + 0.6 * len(rows)))
    axes.imshow(values, cmap="Blues")
    axes.set_xticks(range(len(columns)), columns, rotation=45, ha="right")
    axes.set_yticks(range(len(rows)), rows)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true label")
    peak = max(max(row) for row in values) or 1
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            axes.text(j, i, str(value), ha="center", va="center", color="white" if value > peak / 2 else "black")
    axes.set_title("confusion matrix")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def per_class_png(path: Path, result: dict[str, Any]) -> None:
    plt = _pyplot()
    labels = [label for label, value in result["per_class"].items() if value is not None]
    figure, axes = plt.subplots(figsize=(1.5 + 0.8 * len(labels), 3.2))
    axes.bar(labels, [result["per_class"][label] * 100 for label in labels], color="#4a7ab5")
    axes.set_ylim(0, 100)
    axes.set_ylabel("accuracy %")
    axes.set_title("per-class accuracy")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def det_points(scores: Sequence[int], positive: Sequence[bool]) -> list[tuple[float, float, int]]:
    """(false-accept rate, false-reject rate, threshold) for every int8 threshold: detect when score >= threshold.

        >>> det_points([10, 50, -20], [True, True, False])[0]
        (1.0, 0.0, -128)
    """
    positives = sum(positive)
    negatives = len(positive) - positives
    points = []
    for threshold in range(-128, 128):
        accepted = [s >= threshold for s in scores]
        false_accepts = sum(a and not p for a, p in zip(accepted, positive))
        false_rejects = sum(p and not a for a, p in zip(accepted, positive))
        points.append((false_accepts / negatives if negatives else 0.0,
                       false_rejects / positives if positives else 0.0, threshold))
    return points


def det_png(path: Path, curves: dict[str, list[tuple[float, float]]], x_label: str, title: str) -> None:
    """DET curves: false rejects (y) against false accepts (x), one line per name."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(5, 4))
    for name, points in curves.items():
        ordered = sorted(points)
        axes.plot([x for x, _ in ordered], [y * 100 for _, y in ordered], marker=".", label=name)
    axes.set_xscale("symlog", linthresh=1.0)  # DET curves span decades of false accepts
    axes.set_xlabel(x_label)
    axes.set_ylabel("false rejects %")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    if curves:
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def classification_det(result: dict[str, Any], labels: Sequence[str]) -> dict[str, list[tuple[float, float]]]:
    curves = {}
    scored = [r for r in result["results"] if r["raw"]]
    for index, label in enumerate(labels):
        positive = [r["label"] == label for r in scored]
        if any(positive) and not all(positive):
            points = det_points([r["raw"][index] for r in scored], positive)
            curves[label] = [(far * 100, frr) for far, frr, _ in points]
    return curves


def timeline_png(path: Path, result: dict[str, Any], inferences: Sequence[InferenceEvent],
                 reported: Sequence[str]) -> None:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(10, 3.5))
    times = [e.t_ms / 1000 for e in inferences]
    for label in reported:
        axes.plot(times, [e.scores.get(label, 0.0) for e in inferences], linewidth=0.8, label=f"score {label}")
    for word in result["expected"]:
        axes.axvspan(word["start_ms"] / 1000, word["end_ms"] / 1000, color="#2a2", alpha=0.15)
        axes.text(word["start_ms"] / 1000, 1.02, word["label"], fontsize=7, color="#161")
    spurious = {(e["label"], e["t_ms"]) for e in result["spurious"]}
    for event in result["detections"]:
        wrong = (event["label"], event["t_ms"]) in spurious
        axes.axvline(event["t_ms"] / 1000, color="red" if wrong else "blue", linestyle="--", linewidth=1)
    axes.set_ylim(0, 1.1)
    axes.set_xlabel("stream time (s); green: words, blue: hits, red: false accepts")
    axes.set_ylabel("score")
    axes.legend(loc="upper right", fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _table(rows: list[list[Any]], header: list[str]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}.fail{color:#b00}.pass{color:#070}
img{max-width:100%;display:block;margin:1em 0}"""


def write_report(directory: Path, app: App, result: dict[str, Any], failures: list[str],
                 inferences: Sequence[InferenceEvent] = (),
                 calibration_det: dict[str, list[tuple[float, float]]] | None = None) -> Path:
    """Write DIR/index.html and its PNGs; returns the page's path."""
    from edgesim.evaluation import reported_labels

    directory.mkdir(parents=True, exist_ok=True)
    title = f"edgesim eval: {app.name} on {result['target']}"
    verdict = ("<p class='fail'>FAILED: " + "; ".join(html.escape(f) for f in failures) + "</p>" if failures
               else "<p class='pass'>passed every threshold</p>")
    parts = [f"<h1>{html.escape(title)}</h1>", f"<p>dataset {html.escape(result['dataset'])}</p>", verdict]
    images: list[tuple[str, str]] = []
    if result["kind"] == "classification":
        parts.append(f"<p>accuracy {result['accuracy'] * 100:.1f}% ({result['correct']}/{result['files']} files)</p>")
        confusion_png(directory / "confusion.png", result)
        per_class_png(directory / "per_class.png", result)
        images += [("confusion.png", "confusion matrix"), ("per_class.png", "per-class accuracy")]
        curves = classification_det(result, app.labels)
        if curves:
            det_png(directory / "det.png", curves, "false accepts % (files of other labels)",
                    "DET: threshold on each label's score")
            images.append(("det.png", "DET curve"))
        wrong = [[r["file"], r["label"], r["prediction"], r.get("error", r["raw"])]
                 for r in result["results"] if r["label"] != r["prediction"]]
        tables = [("misclassified", _table(wrong, ["file", "label", "prediction", "int8 scores / error"]))] if wrong else []
    else:
        parts.append(f"<p>{result['hits']}/{result['words']} words detected, {result['false_rejects']} false rejects, "
                     f"{result['false_accepts']} false accepts in {result['stream_ms'] / 1000:.1f} s</p>")
        timeline_png(directory / "timeline.png", result, inferences, sorted(reported_labels(app)))
        images.append(("timeline.png", "score timeline with ground truth and detections"))
        if calibration_det:
            det_png(directory / "det.png", calibration_det, "false accepts per hour", "DET: post-processing sweep")
            images.append(("det.png", "DET curve"))
        misses = [[w["label"], w["start_ms"], w["end_ms"]] for w in result["missed"]]
        spurious = [[e["label"], e["t_ms"], e.get("score")] for e in result["spurious"]]
        tables = [("missed words", _table(misses, ["label", "start ms", "end ms"])),
                  ("false accepts", _table(spurious, ["label", "t ms", "score"]))]
    for name, caption in images:
        parts.append(f"<h2>{html.escape(caption)}</h2><img src='{name}' alt='{html.escape(caption)}'>")
    for heading, table in tables:
        parts.append(f"<h2>{html.escape(heading)}</h2>{table}")
    page = directory / "index.html"
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                    f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>\n", encoding="utf-8")
    return page
