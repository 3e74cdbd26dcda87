"""`edgesim eval --junit/--report` and the thresholds: CI-native output."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import STRICT
from edgesim.cli import main
from test_cli_run import build_stream

SCHEMA = Path(__file__).parent / "data" / "junit.xsd"


@pytest.fixture(autouse=True)
def local_models(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGESIM_MODELS", str(models_dir))


def need(module: str) -> None:
    try:
        __import__(module)
    except ImportError:
        message = f"{module} is not installed (pip install -e '.[dev]')"
        pytest.fail(message) if STRICT else pytest.skip(message)


def validate_junit(path: Path) -> ET.Element:
    need("xmlschema")
    import xmlschema

    xmlschema.XMLSchema(str(SCHEMA)).validate(str(path))  # raises naming the offending element
    return ET.parse(path).getroot()


def person_dataset(testdata_dir: Path, tmp_path: Path) -> Path:
    """Three photos, one mislabelled on purpose (person.bmp stores gray-128 bytes: not a person)."""
    tmp_path.mkdir()
    (tmp_path / "labels.csv").write_text("file,label\nperson.bmp,person\nno_person.bmp,notperson\np96.bmp,person\n")
    for name, source in (("person.bmp", "person.bmp"), ("no_person.bmp", "no_person.bmp"),
                         ("p96.bmp", "person_96x96.bmp")):
        (tmp_path / name).symlink_to(testdata_dir / "person_detection" / source)
    return tmp_path


def test_junit_per_file_cases_and_thresholds(testdata_dir: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    dataset = person_dataset(testdata_dir, tmp_path / "photos")
    junit = tmp_path / "out" / "eval.xml"
    code = main(["eval", "person_detection", str(dataset), "--workers", "1", "--junit", str(junit),
                 "--min-accuracy", "0.5", "--min-class-accuracy", "person=0.9", "--min-class-accuracy", "notperson=1"])
    err = capsys.readouterr().err
    assert code == 1
    assert "eval FAILED" in err and "class 'person' accuracy 0.500 is below 0.9" in err
    assert "below --min-accuracy" not in err and "'notperson'" not in err  # those thresholds are met
    root = validate_junit(junit)
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "2", "0")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert cases[str(dataset / "person.bmp")].find("failure").get("message") == "expected person, got notperson"
    assert cases[str(dataset / "no_person.bmp")].find("failure") is None
    assert "class 'person' accuracy" in cases["thresholds"].find("failure").get("message")


def test_junit_stream_words_and_false_accepts(testdata_dir: Path, tmp_path: Path) -> None:
    stream = tmp_path / "long.wav"
    words = build_stream(testdata_dir, stream)
    wrong = [("no" if i == 0 else label, a, b) for i, (label, a, b) in enumerate(words)]  # one word mislabelled
    (tmp_path / "long.csv").write_text("label,start_ms,end_ms\n" + "".join(f"{l},{a},{b}\n" for l, a, b in wrong))
    junit = tmp_path / "stream.xml"
    assert main(["eval", "wake_word", str(stream), "--junit", str(junit)]) == 0  # no thresholds given
    suite = validate_junit(junit).find("testsuite")
    failures = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert suite.get("tests") == "9" and len(failures) == 2  # 8 reported words + 1 false accept
    assert {f.find("failure").get("message") for f in failures} == {"expected no, got no detection",
                                                                    "expected no detection, got yes"}


def test_schema_rejects_malformed_junit(tmp_path: Path) -> None:
    need("xmlschema")
    import xmlschema

    bad = tmp_path / "bad.xml"
    bad.write_text("<testsuites><testsuite name='x' tests='1' failures='0' errors='0'>"
                   "<testcase name='a'><failure/><error/></testcase></testsuite></testsuites>")
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        xmlschema.XMLSchema(str(SCHEMA)).validate(str(bad))


def test_compare_mismatch_is_a_junit_failure() -> None:
    from edgesim.evaluation.junit import build_junit

    result = {"app": "gesture", "target": "emulator", "dataset": "d", "kind": "classification", "accuracy": 1.0,
              "results": [{"file": "a.csv", "label": "1", "prediction": "1", "score": 0.9, "raw": [1, 2]},
                          {"file": "b.csv", "label": "2", "prediction": "2", "score": 0.9, "raw": [3, 4]}],
              "compare": {"target": "host", "differences": ["b.csv: 2 [3, 4] vs 2 [3, 5]"]}}
    cases = build_junit(result, ["1 difference(s) from host"]).find("testsuite").findall("testcase")
    assert [c.get("name") for c in cases] == ["a.csv", "b.csv", "thresholds"]
    assert cases[0].find("failure") is None
    assert cases[1].find("failure").text == "b.csv: 2 [3, 4] vs 2 [3, 5]"


def render(page: Path, tmp_path: Path) -> dict:
    """Open the page in headless Chromium (Debian's, never a downloaded one); what the browser saw."""
    need("playwright")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        message = "chromium is not installed (apt-get install -y --no-install-recommends chromium)"
        pytest.fail(message) if STRICT else pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        try:
            view = browser.new_page()
            errors: list[str] = []
            view.on("pageerror", lambda error: errors.append(str(error)))
            view.goto(page.resolve().as_uri())
            view.wait_for_load_state("load")
            seen = view.evaluate("""() => ({
                title: document.title,
                text: document.body.innerText,
                images: [...document.images].map(i => ({src: i.getAttribute('src'), w: i.naturalWidth, h: i.naturalHeight}))
            })""")
            view.screenshot(path=str(tmp_path / "screenshot.png"))
        finally:
            browser.close()
    seen["errors"] = errors
    return seen


def test_html_report_for_files_renders(testdata_dir: Path, tmp_path: Path) -> None:
    dataset = person_dataset(testdata_dir, tmp_path / "photos")
    out = tmp_path / "report"
    assert main(["eval", "person_detection", str(dataset), "--workers", "1", "--report", str(out),
                 "--min-accuracy", "0.9"]) == 1
    seen = render(out / "index.html", tmp_path)
    assert seen["title"] == "edgesim eval: person_detection on host" and not seen["errors"]
    assert "FAILED: accuracy 0.667 is below --min-accuracy 0.9" in seen["text"]
    assert {i["src"] for i in seen["images"]} == {"confusion.png", "per_class.png", "det.png"}
    assert all(i["w"] > 100 and i["h"] > 100 for i in seen["images"])  # every PNG decoded by the browser


def test_html_report_for_a_stream_renders(testdata_dir: Path, tmp_path: Path) -> None:
    stream = tmp_path / "long.wav"
    words = build_stream(testdata_dir, stream)
    (tmp_path / "long.csv").write_text("label,start_ms,end_ms\n" + "".join(f"{l},{a},{b}\n" for l, a, b in words))
    out = tmp_path / "report"
    assert main(["eval", "wake_word", str(stream), "--report", str(out), "--max-false-accepts", "0"]) == 0
    seen = render(out / "index.html", tmp_path)
    assert "8/8 words detected" in seen["text"] and "passed every threshold" in seen["text"]
    assert [i["src"] for i in seen["images"]] == ["timeline.png", "det.png"] and seen["images"][0]["w"] > 500
