"""The unmet-needs report as one self-contained HTML page a buurtteam opens in any browser.

Bars are inline SVG rectangles (sizes are attributes, not styles), the only style block is
allowed by its hash in a strict Content-Security-Policy, and there is no script at all: the
page can be mailed around and opened offline without loading or running anything.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections import Counter

from bot.insights.counter import Summary
from bot.knowledge.model import KnowledgeBase

BAR_COLOUR = "#1f6feb"
TOP = 15
BAR_WIDTH = 360
ROW_HEIGHT = 22
LABEL_WIDTH = 240

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "color:#1b1f24}h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}"
    "p.note{color:#57606a}ul.never{columns:2}svg text{font-size:13px;fill:#1b1f24}"
)


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
    return f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'; base-uri 'none'; " \
           "form-action 'none'"


def bar_chart(chart_id: str, counts: list[tuple[str, int]]) -> str:
    """Horizontal bars, label left and count right, as inline SVG."""
    if not counts:
        return f'<p id="{html.escape(chart_id)}" class="note">—</p>'
    most = max(n for _, n in counts) or 1
    height = ROW_HEIGHT * len(counts)
    width = LABEL_WIDTH + BAR_WIDTH + 60
    parts = [f'<svg id="{html.escape(chart_id)}" class="chart" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" '
             'xmlns="http://www.w3.org/2000/svg">']
    for row, (label, n) in enumerate(counts):
        y = row * ROW_HEIGHT
        length = max(2, round(BAR_WIDTH * n / most))
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">'
            f"{html.escape(label)}</text>"
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 3}" width="{length}" height="16" '
            f'fill="{BAR_COLOUR}"><title>{html.escape(label)}: {n}</title></rect>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 15}">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _labelled(counts: Counter, labels: dict[str, str]) -> list[tuple[str, int]]:
    return [(labels.get(key, key), n) for key, n in counts.most_common(TOP)]


def render_report(summary: Summary, kb: KnowledgeBase, lang: str = "nl") -> str:
    """The whole page. Only counts and knowledge names: nothing a resident typed but stems."""
    texts = kb.texts[lang]
    themes = {t.id: t.label(lang) for t in kb.themes.values()}
    areas = {a.id: a.label(lang) for a in kb.areas.values()}
    areas["-"] = texts["report_unknown_district"]
    services = {s.id: s.name for s in kb.services.values()}
    never = summary.never_shown(kb.services)
    outcomes = summary.outcomes
    sections = [
        ("themes", texts["report_themes"], _labelled(summary.themes, themes)),
        ("districts", texts["report_districts"], _labelled(summary.districts, areas)),
        ("terms", texts["report_terms"], _labelled(summary.terms, {})),
        ("rejected", texts["report_rejected"], _labelled(summary.rejected, services)),
    ]
    body = [
        f"<h1>{html.escape(texts['report_title'])}</h1>",
        f'<p>{html.escape(texts["report_period"].format(since=summary.since, until=summary.until))}'
        "</p>",
        "<p>" + html.escape(texts["report_totals"].format(
            answers=outcomes["answer"], no_match=outcomes["no_match"], crisis=outcomes["crisis"],
            rejected=sum(summary.rejected.values()))) + "</p>",
        f'<p class="note">{html.escape(texts["report_privacy"])}</p>',
    ]
    for chart_id, title, counts in sections:
        body.append(f"<h2>{html.escape(title)}</h2>")
        body.append(bar_chart(chart_id, counts))
    body.append(f"<h2>{html.escape(texts['report_never_shown'])} ({len(never)})</h2>")
    body.append('<ul class="never">' + "".join(
        f"<li>{html.escape(name)}</li>" for name in sorted(services[s] for s in never)) + "</ul>")
    return (
        "<!doctype html>\n"
        f'<html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_csp()}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(texts['report_title'])}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
