"""The browser check: its parsing and verdicts from dumped pages (no browser needed), and, where
Chromium is installed, the real check of the example report, a collection report and a page
that does overflow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forecast_bench.benchmarks import config
from forecast_bench.benchmarks.dev import browser_check as bc
from forecast_bench.benchmarks.run import runner
from tests.conftest import random_walk
from tests.test_collection_run import write_long

EXAMPLE = Path(__file__).resolve().parent.parent / "results" / "example"
WIDE_TABLE = {"tag": "table", "id": "", "cls": "wide", "section": "summary",
              "width": 900, "right": 912}


def dump(scroll_width: int, client_width: int, offenders: list[dict]) -> str:
    """A DOM as Chromium dumps it: the JSON as the text of the result <pre> (& < > escaped)."""
    data = json.dumps({"scrollWidth": scroll_width, "clientWidth": client_width,
                       "offenders": offenders})
    text = data.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (f'<html><head></head><body><iframe src="probe.html"></iframe>\n'
            f'<pre id="{bc.RESULT_ID}">{text}</pre></body></html>')


def test_a_page_that_fits_passes():
    verdict = bc.verdict_from_dump(dump(390, 390, []), "r/report.html", "phone", 390)
    assert not verdict.overflows
    assert verdict.line() == "r/report.html  phone 390px  scrollWidth 390 / 390  pass"


def test_overflow_fails_and_names_the_widest_elements_first():
    small = {**WIDE_TABLE, "tag": "img", "cls": "", "section": "", "width": 400, "right": 420}
    odd = {**WIDE_TABLE, "tag": "code", "cls": "a&b <x>", "right": 950}
    verdict = bc.verdict_from_dump(dump(950, 390, [small, WIDE_TABLE, odd]), "p", "phone", 390)
    assert verdict.overflows
    line = verdict.line(shown=2)
    assert "scrollWidth 950 / 390  FAIL" in line
    assert line.endswith("widest: code.a&b.<x> in #summary (900px wide, right edge 950px), "
                         "table.wide in #summary (900px wide, right edge 912px)")


def test_a_dump_without_the_measurement_is_an_error():
    with pytest.raises(ValueError, match="no measurement"):
        bc.parse_dump("<html><body></body></html>")


def test_probe_copy_points_at_the_run_folder_and_measures_before_body_ends(tmp_path):
    probe = bc.probe_page("<html><head><title>t</title></head><body><p>x</p></body></html>",
                          tmp_path)
    assert f'<head>\n<base href="{tmp_path.resolve().as_uri()}/">' in probe
    assert probe.index("<p>x</p>") < probe.index("postMessage") < probe.index("</body>")


def test_missing_chromium_exits_2_with_how_to_install(monkeypatch, capsys):
    monkeypatch.setattr(bc, "find_chromium", lambda: None)
    assert bc.main([str(EXAMPLE)]) == 2
    assert capsys.readouterr().err.strip() == bc.MISSING


def test_missing_report_exits_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(bc, "find_chromium", lambda: "/usr/bin/chromium")
    assert bc.main([str(tmp_path)]) == 2
    assert "no such report" in capsys.readouterr().err


needs_chromium = pytest.mark.skipif(
    bc.find_chromium() is None,
    reason="REAL-BROWSER CHECK NOT RUN: no chromium on PATH (sudo apt-get install chromium)")


@needs_chromium
def test_real_browser_reports_fit_desktop_and_phone_and_overflow_is_caught(tmp_path, capsys):
    series = {name: random_walk(60, seed=seed) for seed, name in enumerate("AB")}
    source = f"long:{write_long(tmp_path / 'l.csv', series)}"
    cfg = config.from_dict({
        "name": "browser", "levels": [], "data": {"source": source},
        "split": {"test_size": 6, "folds": 2, "horizon": 1},
        "models": {"naive": {}, "drift": {}}})
    collection = runner.run(cfg, tmp_path / "runs", use_cache=False).run_dir
    before = sorted(p.name for p in collection.iterdir())
    assert bc.main([str(EXAMPLE), str(collection)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and all(line.endswith("pass") for line in lines)
    assert sorted(p.name for p in collection.iterdir()) == before  # no probe left behind

    wide = tmp_path / "wide.html"
    wide.write_text("<html><head></head><body><section id='s'><table class='t' style='width:"
                    "800px'><tr><td>x</td></tr></table></section></body></html>")
    chromium = bc.find_chromium()
    assert chromium is not None
    assert not bc.measure(chromium, wide, "desktop", 1280, 900).overflows
    phone = bc.measure(chromium, wide, "phone", 390, 844)
    assert phone.overflows and phone.client_width == 390
    assert "table.t in #s (800px wide" in phone.line()
