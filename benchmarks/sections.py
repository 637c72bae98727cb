"""docs/benchmarks.md holds one section per benchmark; each benchmark rewrites only its own.

A section is the text between `<!-- benchmark:NAME -->` and `<!-- /benchmark:NAME -->`; text outside any
marked section belongs to the launch benchmark, which wrote the file first.
"""

from __future__ import annotations

import re
from pathlib import Path


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"\n*<!-- benchmark:{re.escape(name)} -->\n.*?<!-- /benchmark:{re.escape(name)} -->\n?", re.S
    )


def marked(name: str, body: str) -> str:
    return f"<!-- benchmark:{name} -->\n{body.rstrip()}\n<!-- /benchmark:{name} -->\n"


def write_section(path: Path, name: str, body: str) -> None:
    """Replace section `name` of the document at `path` (or add it at the end)."""
    text = path.read_text() if path.exists() else ""
    section = marked(name, body)
    if _pattern(name).search(text):
        text = _pattern(name).sub(lambda _: "\n\n" + section, text, count=1)
    else:
        text = text.rstrip() + ("\n\n" if text.strip() else "") + section
    path.write_text(text.lstrip("\n"))


def keep_sections(path: Path, unmarked: str) -> str:
    """`unmarked` (a new version of the text outside the sections) with the marked sections of `path`."""
    old = path.read_text() if path.exists() else ""
    kept = re.findall(r"<!-- benchmark:[\w-]+ -->\n.*?<!-- /benchmark:[\w-]+ -->\n?", old, re.S)
    return unmarked.rstrip() + "".join("\n\n" + section.rstrip() + "\n" for section in kept)
