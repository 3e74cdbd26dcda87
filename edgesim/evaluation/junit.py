"""JUnit XML for CI systems (Jenkins, GitLab, GitHub Actions reporters): one test case per file.

The document follows the common JUnit schema (the Jenkins/Surefire one every
CI reporter reads): ``<testsuites>`` holding one ``<testsuite>`` with
``name tests failures errors skipped time timestamp hostname``,
``<properties>``, then ``<testcase classname name time>`` each with at most one
``<failure message type>`` or ``<error message type>``.

* Labelled files: a test case per file, named after the file; a wrong
  prediction is a failure "expected yes, got no", a file that could not be
  run (twice) an error, and with --compare a file whose int8 scores differ
  between targets is a failure too.
* A stream: a test case per expected word (a miss is a failure) and one per
  false accept (always a failure).
* Every threshold the run missed (--min-accuracy, ...) is one more failing
  test case named ``thresholds``, so a CI page shows why the job failed.
"""
from __future__ import annotations

import socket
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any


def _case(suite: ET.Element, classname: str, name: str, failure: str | None = None, error: str | None = None,
          detail: str = "") -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
    if failure is not None:
        ET.SubElement(case, "failure", message=failure, type="mismatch").text = detail or failure
    elif error is not None:
        ET.SubElement(case, "error", message=error, type="TargetError").text = detail or error


def _compare_differences(result: dict[str, Any]) -> dict[str, str]:
    """File -> the difference line of --compare (its lines start with the file name)."""
    lines = result.get("compare", {}).get("differences", [])
    return {line.split(": ", 1)[0]: line for line in lines}


def build_junit(result: dict[str, Any], failures: list[str]) -> ET.Element:
    classname = f"edgesim.eval.{result['app']}.{result['target']}"
    suites = ET.Element("testsuites", name=f"edgesim eval {result['app']}")
    suite = ET.SubElement(suites, "testsuite", name=f"{result['app']} on {result['target']}: {result['dataset']}",
                          timestamp=time.strftime("%Y-%m-%dT%H:%M:%S"), hostname=socket.gethostname())
    properties = ET.SubElement(suite, "properties")
    for key in ("app", "target", "dataset"):
        ET.SubElement(properties, "property", name=key, value=str(result[key]))
    if result["kind"] == "classification":
        ET.SubElement(properties, "property", name="accuracy", value=str(result["accuracy"]))
        differences = _compare_differences(result)
        for r in result["results"]:
            if "error" in r:
                _case(suite, classname, r["file"], error=f"{r['file']} could not be run: {r['error']}")
            elif r["prediction"] != r["label"]:
                _case(suite, classname, r["file"], failure=f"expected {r['label']}, got {r['prediction']}",
                      detail=f"expected {r['label']}, got {r['prediction']} (score {r['score']}, int8 scores {r['raw']})")
            elif r["file"] in differences:
                _case(suite, classname, r["file"], failure=f"differs from {result['compare']['target']}",
                      detail=differences[r["file"]])
            else:
                _case(suite, classname, r["file"])
    else:
        missed = {(w["label"], w["start_ms"]) for w in result["missed"]}
        for word in result.get("expected", []):
            name = f"{word['label']} at {word['start_ms'] / 1000:.3f} s"
            failed = (word["label"], word["start_ms"]) in missed
            _case(suite, classname, name, failure=f"expected {word['label']}, got no detection" if failed else None)
        for event in result["spurious"]:
            _case(suite, classname, f"false accept {event['label']} at {event['t_ms'] / 1000:.3f} s",
                  failure=f"expected no detection, got {event['label']}")
    if failures:
        _case(suite, classname, "thresholds", failure="; ".join(failures), detail="\n".join(failures))
    cases = suite.findall("testcase")
    counts = {"tests": len(cases), "failures": sum(c.find("failure") is not None for c in cases),
              "errors": sum(c.find("error") is not None for c in cases), "skipped": 0}
    for key, value in counts.items():
        suite.set(key, str(value))
        suites.set(key, str(value))
    suite.set("time", "0")
    suites.set("time", "0")
    return suites


def write_junit(path: Path, result: dict[str, Any], failures: list[str]) -> None:
    tree = ET.ElementTree(build_junit(result, failures))
    ET.indent(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
