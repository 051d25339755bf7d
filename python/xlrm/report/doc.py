"""The report as a small document model, and its two renderings: Markdown and one HTML file.

Sections are built once as blocks (paragraphs, tables, images, code); :func:`to_markdown` and
:func:`to_html` render the same blocks, so the two files never disagree. The HTML file stands
alone: CSS inline, images as base64 ``data:`` URIs, links only to anchors of the page, no script.
Text takes two inline marks: ```code``` and ``**strong**``.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Para:
    text: str
    kind: str = "text"  # text | note | missing | warning


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str | None = None
    #: rows (by index) shown in bold, e.g. a mean over languages
    strong_rows: set[int] = field(default_factory=set)
    id: str | None = None


@dataclass
class Image:
    file: str  # relative to the report folder: plots/<name>.png
    alt: str
    caption: str | None = None


@dataclass
class Code:
    text: str


@dataclass
class Heading:
    text: str
    id: str | None = None


@dataclass
class Details:
    summary: str
    blocks: list


@dataclass
class Section:
    key: str
    id: str
    title: str
    blocks: list = field(default_factory=list)
    #: False when the section's stage was not run (it then holds only its "not run" line)
    rendered: bool = True


def code(value) -> str:
    """A value shown as inline code (backticks inside it would end the span early)."""
    return "`" + str(value).replace("`", "'") + "`"


# ---------------------------------------------------------------------------------------------
# Markdown


def _md_inline(text: str) -> str:
    return text.replace("\n", " ")


def _md_cell(text: str) -> str:
    return _md_inline(str(text)).replace("|", "\\|") or " "


def _md_blocks(blocks: list, out: list[str]) -> None:
    for b in blocks:
        if isinstance(b, Para):
            prefix = {"note": "_Note:_ ", "warning": "**Warning:** ", "missing": "> "}.get(b.kind, "")
            out += [prefix + _md_inline(b.text), ""]
        elif isinstance(b, Bullets):
            out += [f"- {_md_inline(i)}" for i in b.items] + [""]
        elif isinstance(b, Heading):
            out += [f"### {b.text}", ""]
        elif isinstance(b, Table):
            if b.caption:
                out += [f"_{_md_inline(b.caption)}_", ""]
            out.append("| " + " | ".join(_md_cell(h) for h in b.headers) + " |")
            out.append("|" + "---|" * len(b.headers))
            for i, row in enumerate(b.rows):
                cells = [_md_cell(c) for c in row]
                if i in b.strong_rows:
                    cells = [f"**{c}**" if c.strip() else c for c in cells]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
        elif isinstance(b, Image):
            out += [f"![{_md_cell(b.alt)}]({b.file})", ""]
            if b.caption:
                out += [f"_{_md_inline(b.caption)}_", ""]
        elif isinstance(b, Code):
            fence = "````" if "```" in b.text else "```"
            out += [fence, b.text.rstrip("\n"), fence, ""]
        elif isinstance(b, Details):
            out += [f"**{b.summary}**", ""]
            _md_blocks(b.blocks, out)
        else:  # a developer error: every block type has a rendering
            raise TypeError(f"no Markdown rendering for {type(b).__name__}")


def to_markdown(title: str, intro: list, sections: list[Section]) -> str:
    out = [f"# {title}", ""]
    _md_blocks(intro, out)
    for s in sections:
        out += [f"## {s.title}", ""]
        _md_blocks(s.blocks, out)
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------
# HTML

_INLINE = re.compile(r"`([^`]*)`|\*\*(.+?)\*\*")
# a number, perhaps signed, with a unit mark and its interval in parentheses ("+1.2 (-0.4, +2.9)"):
# right-aligned and kept on one line; any other text wraps
_NUMERIC = re.compile(r"^[+\-−]?\d[\d.,]*(e[+-]?\d+)?[%×]?\*?( \([^()]{0,40}\))?\*?$")


def _html_inline(text: str) -> str:
    parts, last = [], 0
    for m in _INLINE.finditer(text):
        parts.append(html.escape(text[last : m.start()]))
        if m.group(1) is not None:
            parts.append(f"<code>{html.escape(m.group(1))}</code>")
        else:
            parts.append(f"<strong>{html.escape(m.group(2))}</strong>")
        last = m.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts)


def _cell_class(text: str) -> str:
    if _NUMERIC.match(text):
        return ' class="num"'
    # short labels (names, codes, dates) stay on one line; sentences wrap
    return ' class="short"' if len(text) <= 24 else ""


def _data_uri(path: Path) -> str:
    data = path.read_bytes()
    if not data.startswith(PNG_MAGIC):  # a developer error: only PNGs the report checked are embedded
        raise ValueError(f"{path} is not a PNG")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _html_blocks(blocks: list, root: Path, out: list[str]) -> None:
    for b in blocks:
        if isinstance(b, Para):
            out.append(f'<p class="{b.kind}">{_html_inline(b.text)}</p>')
        elif isinstance(b, Bullets):
            out.append("<ul>" + "".join(f"<li>{_html_inline(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Heading):
            ident = f' id="{html.escape(b.id)}"' if b.id else ""
            out.append(f"<h3{ident}>{_html_inline(b.text)}</h3>")
        elif isinstance(b, Table):
            ident = f' id="{html.escape(b.id)}"' if b.id else ""
            out.append(f'<div class="table"><table{ident}>')
            if b.caption:
                out.append(f"<caption>{_html_inline(b.caption)}</caption>")
            out.append(
                "<thead><tr>" + "".join(f"<th>{_html_inline(h)}</th>" for h in b.headers) + "</tr></thead>"
            )
            out.append("<tbody>")
            for i, row in enumerate(b.rows):
                cls = ' class="strong"' if i in b.strong_rows else ""
                cells = "".join(f"<td{_cell_class(str(c))}>{_html_inline(str(c))}</td>" for c in row)
                out.append(f"<tr{cls}>{cells}</tr>")
            out.append("</tbody></table></div>")
        elif isinstance(b, Image):
            cap = f"<figcaption>{_html_inline(b.caption)}</figcaption>" if b.caption else ""
            out.append(
                f'<figure><img src="{_data_uri(root / b.file)}" alt="{html.escape(b.alt)}">{cap}</figure>'
            )
        elif isinstance(b, Code):
            out.append(f"<pre>{html.escape(b.text.rstrip())}</pre>")
        elif isinstance(b, Details):
            out.append(f"<details><summary>{_html_inline(b.summary)}</summary>")
            _html_blocks(b.blocks, root, out)
            out.append("</details>")
        else:
            raise TypeError(f"no HTML rendering for {type(b).__name__}")


CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
       color: #1d2430; background: #fff; margin: 0; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 28px; margin: 8px 0 4px; }
h2 { font-size: 21px; margin: 36px 0 10px; padding-top: 10px; border-top: 2px solid #d8dee8; }
h3 { font-size: 16px; margin: 22px 0 8px; }
nav { background: #f4f6fa; border: 1px solid #dde3ec; border-radius: 6px; padding: 8px 14px; margin: 14px 0; }
nav ol { margin: 4px 0; padding-left: 4px; list-style: none; columns: 2; }
nav a { color: #1f5fbf; text-decoration: none; }
nav .notrun { color: #8a94a6; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f1f3f7;
       padding: 0 3px; border-radius: 3px; }
pre { font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f6f8fa;
      border: 1px solid #e1e6ee; border-radius: 6px; padding: 10px 12px; overflow-x: auto; }
div.table { overflow-x: auto; margin: 8px 0 16px; }
table { border-collapse: collapse; font-size: 13.5px; }
caption { caption-side: top; text-align: left; color: #4a5567; padding: 0 0 4px; font-style: italic; }
th, td { border: 1px solid #d6dce6; padding: 3px 8px; vertical-align: top; }
th { background: #eef2f7; text-align: left; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.short { white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafbfd; }
tr.strong td { font-weight: 700; background: #f0f4fa; }
figure { margin: 12px 0 20px; }
figure img { max-width: 100%; height: auto; border: 1px solid #e4e8ef; }
figcaption { color: #4a5567; font-size: 13px; margin-top: 4px; }
p.missing { color: #5b6577; background: #f6f7f9; border-left: 4px solid #a8b2c3; padding: 6px 10px; }
p.note { color: #4a5567; font-size: 13.5px; }
p.warning { background: #fff6e6; border-left: 4px solid #e0a030; padding: 6px 10px; }
details { margin: 6px 0; }
summary { cursor: pointer; color: #1f5fbf; }
"""


def to_html(title: str, intro: list, sections: list[Section], root: Path) -> str:
    """The whole page; ``root`` is the report folder (images are read from it and embedded)."""
    body: list[str] = [f"<h1>{html.escape(title)}</h1>"]
    _html_blocks(intro, root, body)
    toc = []
    for s in sections:
        cls = "" if s.rendered else ' class="notrun"'
        suffix = "" if s.rendered else " (not run)"
        toc.append(f'<li{cls}><a href="#{s.id}">{html.escape(s.title)}</a>{suffix}</li>')
    body.append("<nav><strong>Contents</strong><ol>" + "".join(toc) + "</ol></nav>")
    for s in sections:
        body.append(f'<section id="{s.id}" class="{"rendered" if s.rendered else "notrun"}">')
        body.append(f"<h2>{html.escape(s.title)}</h2>")
        _html_blocks(s.blocks, root, body)
        body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )
