"""Open a page in Debian's chromium, headless, and read back the DOM its scripts built and
every console message (errors, CSP violations, uncaught exceptions) it printed. Stdlib only."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--dump-dom"]
# chromium logs every console message of the page as INFO:CONSOLE, whatever its level.
CONSOLE = re.compile(r'CONSOLE[:(]\d*\)?\] "(?P<message>.*)", source: (?P<source>\S*)')


def chromium() -> str:
    """chromium's path; fails under CI (the set-up installs it), skips elsewhere."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is missing: scripts/ensure-browser.sh (run by ./dev test) installs it with apt-get")
    pytest.skip("chromium is not installed (scripts/ensure-browser.sh installs it; Debian package 'chromium')")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Element]:
        return [e for e in self.walk() if (tag is None or e.tag == tag) and (cls is None or cls in e.classes())
                and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def by_id(self, element_id: str) -> Element:
        [found] = [e for e in self.walk() if e.attrs.get("id") == element_id]
        return found

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)


VOID = {"meta", "link", "br", "img", "input", "hr", "col", "area", "base", "source", "wbr"}


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for n in range(len(self.stack) - 1, 0, -1):
            if self.stack[n].tag == tag:
                del self.stack[n:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(Element("#text", {}, data))


def parse(html_text: str) -> Element:
    tree = _Tree()
    tree.feed(html_text)
    return tree.root


@dataclass
class Rendered:
    dom: Element
    html: str
    console: list[str]


def render(page: Path, timeout: float = 90, width: int = 1280) -> Rendered:
    """Load `page` (a file) in a fresh headless chromium profile, in a window `width` pixels
    wide; the DOM after its scripts ran."""
    binary = chromium()
    with tempfile.TemporaryDirectory(prefix="hookledger-chromium-") as profile:
        proc = subprocess.run([binary, *FLAGS, f"--window-size={width},2000", f"--user-data-dir={profile}",
                               page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0 and "<html" in proc.stdout, proc.stderr[-2000:]
    console = [m.group("message") for m in CONSOLE.finditer(proc.stderr)]
    return Rendered(dom=parse(proc.stdout), html=proc.stdout, console=console)
