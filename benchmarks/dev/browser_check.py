"""Open run reports in headless Chromium at desktop and phone width; fail on horizontal overflow.

    python -m forecast_bench.benchmarks.dev.browser_check [RUN_DIR_OR_REPORT ...]
    (default: results/example)

Chromium's own headless mode, no Python browser library. Headless windows are never narrower
than 500 px, so the report is laid out inside an iframe of exactly the checked width (what a
phone does with the report's `width=device-width` viewport). A script added to a copy of the
report measures, after load (images included), the page's scrollWidth against its width and
the elements that stick out, and posts that to the outer page, whose dumped DOM carries it as
JSON. The copies and Chromium's profile live in a temporary folder (a <base href> to the run
folder keeps relative links resolving); nothing is written next to the report or in $HOME.

Exit status: 0 every page fits, 1 some page scrolls sideways, 2 chromium missing or a page
could not be measured.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
DEFAULT_RUNS = ("results/example",)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
MISSING = "chromium not found; install it with `sudo apt-get install chromium` (Debian/Ubuntu)"
RESULT_ID = "fb-browser-check"
TIMEOUT_S = 120

# Runs inside the report copy: measures after load and posts the result to the outer page.
# An element "offends" when it reaches past the viewport, no ancestor clips it (a scroll box
# holding a wide table is fine), and its parent does not offend too: the roots of the overflow.
PROBE = """<script>
window.addEventListener("load", () => setTimeout(() => {
  const root = document.documentElement, vw = root.clientWidth;
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  const over = new Set([...document.body.querySelectorAll("*")].filter(
    (el) => el.getBoundingClientRect().right > vw + 0.5 && !clipped(el)));
  const offenders = [...over].filter((el) => !over.has(el.parentElement)).map((el) => ({
    tag: el.tagName.toLowerCase(), id: el.id, cls: el.className.toString(),
    section: el.closest("section") ? el.closest("section").id : "",
    width: Math.round(el.getBoundingClientRect().width),
    right: Math.round(el.getBoundingClientRect().right)}));
  parent.postMessage(JSON.stringify({scrollWidth: root.scrollWidth, clientWidth: vw,
                                     offenders: offenders}), "*");
}, 0));
</script>"""

WRAPPER = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>body {{ margin: 0; }} iframe {{ border: 0; }}</style>
</head><body>
<iframe src="probe.html" width="{width}" height="{height}"></iframe>
<script>
window.addEventListener("message", (event) => {{
  const out = document.createElement("pre");
  out.id = "{result_id}";
  out.textContent = event.data;
  document.body.appendChild(out);
}});
</script>
</body></html>
"""


@dataclass
class Verdict:
    """One page at one width."""
    page: str
    width_name: str
    width: int
    scroll_width: int
    client_width: int
    offenders: list[dict]

    @property
    def overflows(self) -> bool:
        return self.scroll_width > self.client_width

    def line(self, shown: int = 3) -> str:
        """page, width, scrollWidth, PASS/FAIL and the widest offending elements."""
        verdict = "FAIL" if self.overflows else "pass"
        text = (f"{self.page}  {self.width_name} {self.width}px  scrollWidth {self.scroll_width}"
                f" / {self.client_width}  {verdict}")
        widest = sorted(self.offenders, key=lambda o: -o["right"])[:shown]
        if widest:
            text += "  widest: " + ", ".join(describe(o) for o in widest)
        return text


def describe(element: dict) -> str:
    """tag#id.class in section #id (width, right edge)."""
    name = element["tag"] + (f"#{element['id']}" if element.get("id") else "")
    name += "".join(f".{c}" for c in str(element.get("cls", "")).split())
    if element.get("section"):
        name += f" in #{element['section']}"
    return f"{name} ({element['width']}px wide, right edge {element['right']}px)"


def find_chromium() -> str | None:
    """Path of a Chromium (or Chrome) executable on PATH, or None."""
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def probe_page(report_html: str, base_dir: Path) -> str:
    """The report with a <base href> to its folder and the measuring script before </body>."""
    base = f'<base href="{html.escape(base_dir.resolve().as_uri())}/">'
    text, n = re.subn(r"<head>", "<head>\n" + base, report_html, count=1, flags=re.I)
    if not n:
        text = base + text
    index = text.lower().rfind("</body>")
    return text + PROBE if index < 0 else text[:index] + PROBE + text[index:]


def parse_dump(dom: str) -> dict:
    """The measurement JSON from Chromium's dumped DOM; ValueError when it is not there."""
    match = re.search(rf'<pre id="{RESULT_ID}">(.*?)</pre>', dom, flags=re.S)
    if not match:
        raise ValueError("no measurement in the dumped page (did it load?)")
    return json.loads(html.unescape(match.group(1)))


def verdict_from_dump(dom: str, page: str, width_name: str, width: int) -> Verdict:
    """Parse a dumped DOM into the verdict for one page and width."""
    data = parse_dump(dom)
    return Verdict(page, width_name, width, int(data["scrollWidth"]), int(data["clientWidth"]),
                   list(data.get("offenders", [])))


def measure(chromium: str, report: Path, width_name: str, width: int, height: int) -> Verdict:
    """Lay the report out at one width in headless Chromium and measure it."""
    with tempfile.TemporaryDirectory(prefix="fb-browser-check-") as tmp:
        folder = Path(tmp)
        probe = probe_page(report.read_text(encoding="utf-8"), report.parent)
        (folder / "probe.html").write_text(probe, encoding="utf-8")
        wrapper = folder / "wrapper.html"
        wrapper.write_text(WRAPPER.format(width=width, height=height, result_id=RESULT_ID),
                           encoding="utf-8")
        command = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                   "--hide-scrollbars", f"--user-data-dir={folder / 'profile'}",
                   f"--window-size={max(width, 500)},{height + 100}",
                   "--virtual-time-budget=5000", "--dump-dom", wrapper.as_uri()]
        home = {"XDG_CONFIG_HOME": str(folder / "config"), "XDG_CACHE_HOME": str(folder / "cache")}
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S,
                              env={**os.environ, **home})
    return verdict_from_dump(done.stdout, str(report), width_name, width)


def report_path(target: str) -> Path:
    """A run folder's report.html, or the HTML file itself."""
    path = Path(target)
    return path / "report.html" if path.is_dir() else path


def main(argv: list[str] | None = None) -> int:
    """Check each report at each width; print one line each; 0, 1 (overflow) or 2."""
    targets = (sys.argv[1:] if argv is None else argv) or list(DEFAULT_RUNS)
    chromium = find_chromium()
    if chromium is None:
        print(MISSING, file=sys.stderr)
        return 2
    status = 0
    for target in targets:
        report = report_path(target)
        if not report.is_file():
            print(f"{report}: no such report", file=sys.stderr)
            return 2
        for width_name, (width, height) in WIDTHS.items():
            try:
                verdict = measure(chromium, report, width_name, width, height)
            except (ValueError, subprocess.TimeoutExpired) as error:
                print(f"{report}  {width_name} {width}px  not measured: {error}", file=sys.stderr)
                return 2
            print(verdict.line(), flush=True)
            status = max(status, int(verdict.overflows))
    return status


if __name__ == "__main__":
    sys.exit(main())
