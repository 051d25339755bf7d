"""`xlrm report`'s HTML in a real headless browser (Debian's `chromium`): the page loads without a
console message, every image decodes to a non-zero size, every link lands on an anchor of the page,
and a screenshot of the whole page is drawn.

Needs the `chromium` binary (Debian: `apt-get install -y chromium`); skipped without it. The
images are checked by a copy of the page with a small script added at its end that, on `load`,
writes each image's natural size into the DOM, which `--dump-dom` then prints; the report itself
holds no script. Console messages are read from Chromium's log on stderr (`--enable-logging=stderr
--v=0`); a control page that does raise an error proves that this log still reports them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from test_report import build_full_run, png_size, run_report

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary on PATH (Debian: apt-get install -y chromium)"
)

PROBE = """<script>
window.addEventListener('load', function () {
  var images = [];
  document.querySelectorAll('img').forEach(function (img) {
    images.push({w: img.naturalWidth, h: img.naturalHeight, complete: img.complete});
  });
  var pre = document.createElement('pre');
  pre.id = 'xlrm-probe';
  pre.textContent = JSON.stringify({images: images, height: document.documentElement.scrollHeight});
  document.body.appendChild(pre);
});
</script>"""
# A console message in Chromium's stderr log looks like `[...:INFO:CONSOLE:12] "text", source: ...`
# (the level is INFO even for console.error); uncaught exceptions read "Uncaught ...".
CONSOLE = re.compile(r":CONSOLE(?:\(\d+\))?[:\]]|Uncaught")


def chromium(tmp: Path, url: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-extensions",
        "--hide-scrollbars",
        f"--user-data-dir={tmp / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=10000",
        *args,
        url,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tmp)


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE.search(line)]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.hrefs, self.imgs, self.probe = set(), [], 0, ""
        self._in_probe = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if "href" in a:
            self.hrefs.append(a["href"])
        self.imgs += tag == "img"
        self._in_probe = a.get("id") == "xlrm-probe"

    def handle_endtag(self, tag):
        self._in_probe = False

    def handle_data(self, data):
        if self._in_probe:
            self.probe += data


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    out = run_report(build_full_run(root))
    return {"root": root, "out": out}


def test_the_console_check_sees_errors(tmp_path):
    """The control: a page that logs an error and throws one is caught by the stderr check."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><body><p>x</p><script>console.error('xlrm-control');"
        "window.noSuchFunction();</script></body></html>",
        encoding="utf-8",
    )
    proc = chromium(tmp_path, bad.as_uri(), "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = "\n".join(console_lines(proc.stderr))
    assert "xlrm-control" in found and "Uncaught" in found, proc.stderr[-3000:]


def test_report_loads_cleanly_with_every_image_and_link(report, tmp_path):
    out = report["out"]
    html = (out / "report.html").read_text(encoding="utf-8")
    original = _Links()
    original.feed(html)
    assert original.imgs >= 8 and "<script" not in html.lower()

    # the page exactly as written: no console message at all (the report has no script)
    plain = chromium(tmp_path, (out / "report.html").as_uri(), "--dump-dom")
    assert plain.returncode == 0, plain.stderr[-2000:]
    assert console_lines(plain.stderr) == [], console_lines(plain.stderr)
    dom = _Links()
    dom.feed(plain.stdout)
    assert dom.imgs == original.imgs
    for href in dom.hrefs:
        assert href.startswith("data:") or (href.startswith("#") and href[1:] in dom.ids), (
            f"broken link {href}"
        )
    assert dom.hrefs, "the contents list links to the sections"

    # a copy with the probe: every image decoded, with its natural size
    probed = tmp_path / "probed.html"
    probed.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    proc = chromium(tmp_path, probed.as_uri(), "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert console_lines(proc.stderr) == []
    parsed = _Links()
    parsed.feed(proc.stdout)
    result = json.loads(parsed.probe)
    assert len(result["images"]) == original.imgs
    for i, img in enumerate(result["images"]):
        assert img["complete"] and img["w"] > 0 and img["h"] > 0, f"image {i} did not decode: {img}"

    # the whole page as a screenshot, 1200 px wide
    height = min(int(result["height"]) + 20, 16000)
    shot = tmp_path / "report.png"
    proc = chromium(
        tmp_path, (out / "report.html").as_uri(), f"--screenshot={shot}", f"--window-size=1200,{height}"
    )
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    assert png_size(shot.read_bytes()) == (1200, height)
    pil = pytest.importorskip("PIL.Image")
    pixels = pil.open(shot).convert("L")
    lo, hi = pixels.getextrema()
    assert hi - lo > 100, "the screenshot is blank"
