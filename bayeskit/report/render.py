"""Write report blocks as one self-contained HTML file or as Markdown with PNG files.

The HTML report embeds every figure as a base64 PNG and its stylesheet inline, so the
single file can be mailed or archived and opens without a network. The Markdown report
writes the figures into ``<name>_figures/`` beside it and links them relatively.
"""

from __future__ import annotations

import base64
from pathlib import Path

import jinja2

FORMATS = ("html", "markdown")

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("bayeskit.report", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"),
                                        default_for_string=False),
    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
)


def _md_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


_ENV.filters["md_cell"] = _md_cell


def render_html(blocks, *, title, subtitle):
    images = {id(img): "data:image/png;base64," + base64.b64encode(img.png).decode("ascii")
              for block in blocks for img in block.images}
    return _ENV.get_template("report.html.j2").render(
        title=title, subtitle=subtitle, blocks=blocks, src=lambda img: images[id(img)])


def render_markdown(blocks, *, title, subtitle, path: Path):
    folder = path.with_name(f"{path.stem}_figures")
    names = {}
    for block in blocks:
        for img in block.images:
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{img.name}.png"
            target.write_bytes(img.png)
            names[id(img)] = f"{folder.name}/{target.name}"
    return _ENV.get_template("report.md.j2").render(
        title=title, subtitle=subtitle, blocks=blocks, src=lambda img: names[id(img)])
