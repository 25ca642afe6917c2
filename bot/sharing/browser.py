"""Headless Chromium: prints the Meterkastkaart to PDF and reports whether it fits.

Layout is only known where it happens, in a browser, so the card is checked there: the
card's own script marks overflowing pages and too-small text, and `check_layout` reads those
marks back from the rendered DOM. Chromium is optional: without it the card is still written
as HTML, to open in any browser and print.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 120


class BrowserError(RuntimeError):
    """Chromium could not render the page."""


def find_browser() -> str | None:
    """The path of the first Chromium-like browser on PATH, or None."""
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(browser: str, *arguments: str) -> str:
    # A throwaway profile: parallel runs do not fight over one, and nothing of ours stays.
    # --no-sandbox: Chromium's sandbox refuses to start as root, as in containers and CI.
    with tempfile.TemporaryDirectory(prefix="routewijzer-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *arguments,
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise BrowserError(f"{browser} did not run: {error}") from error
    if result.returncode != 0:
        raise BrowserError(f"{browser} failed ({result.returncode}): {result.stderr[-500:]}")
    return result.stdout


def print_pdf(browser: str, html_file: Path, pdf_file: Path) -> None:
    """Print `html_file` as the browser would, with the page size the card's CSS asks for."""
    pdf_file = pdf_file.resolve()
    pdf_file.parent.mkdir(parents=True, exist_ok=True)
    _run(
        browser,
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf_file}",
        html_file.resolve().as_uri(),
    )
    if not pdf_file.exists():
        raise BrowserError(f"{browser} wrote no PDF at {pdf_file}")


@dataclass(frozen=True)
class LayoutReport:
    """What the card's script found after the browser laid it out."""

    checked: bool  # False: the script did not run, so nothing below is known
    pages: int
    overflowing_pages: tuple[int, ...]  # 1-based
    small_texts: tuple[str, ...]  # elements with text under 12pt, as tag.class
    left_off: tuple[str, ...] = ()  # service ids the script left off for lack of room

    @property
    def fits(self) -> bool:
        return self.checked and not self.overflowing_pages and not self.small_texts


class _Marks(HTMLParser):
    """Collects the marks the card's script left on the rendered DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.checked = False
        self.pages = 0
        self.overflowing: list[int] = []
        self.small: list[str] = []
        self.left_off: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        marks = dict(attrs)
        classes = (marks.get("class") or "").split()
        if tag == "body":
            self.checked = marks.get("data-layout-checked") == "true"
            self.left_off = (marks.get("data-left-off") or "").split()
        if "page" in classes:
            self.pages += 1
            if marks.get("data-overflow") == "true":
                self.overflowing.append(self.pages)
        if marks.get("data-small-text") == "true":
            self.small.append(".".join([tag, *classes]))


def check_layout(browser: str, html_file: Path) -> LayoutReport:
    """Render `html_file` and read back the card script's marks."""
    marks = _Marks()
    marks.feed(_run(browser, "--dump-dom", html_file.resolve().as_uri()))
    return LayoutReport(
        checked=marks.checked,
        pages=marks.pages,
        overflowing_pages=tuple(marks.overflowing),
        small_texts=tuple(marks.small),
        left_off=tuple(marks.left_off),
    )
