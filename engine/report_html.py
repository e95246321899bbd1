"""The reform comparison as one self-contained HTML page an analyst can read without code.

Everything is inline: the styles, and the charts as SVG drawn here (cost by benefit, winners and
losers by region, the distribution of changes per family). Nothing is fetched from anywhere, so
the file can be mailed, archived or opened offline. Every text is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

BASE, REFORM, GAIN, LOSE, GRID, INK = "#9aa9bb", "#1f6fb2", "#2e8b57", "#c0392b", "#e3e7ec", "#1d2733"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def num(x: float) -> str:
    """A whole number with thin-space thousands."""
    return f"{x:,.0f}".replace(",", "\u202f")


def short(x: float) -> str:
    """A compact amount: 1.2 bn, 350 m, 12 k."""
    a = abs(x)
    sign = "−" if x < 0 else ""
    for size, unit in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if a >= size:
            return f"{sign}{a / size:.3g} {unit}"
    return f"{sign}{a:.0f}"


def _ticks(high: float, count: int = 5) -> list[float]:
    if high <= 0:
        return [0.0]
    raw = high / count
    mag = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1.0
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [i * step for i in range(int(high // step) + 2)]


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" style="{FONT};font-size:12px">'
            f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def grouped_bars(title: str, labels: list[str], series: list[tuple[str, str, list[float]]]) -> str:
    """Horizontal bars, one group per label, one bar per series (name, colour, values)."""
    left, right, row, bar = 250, 110, 12 * len(series) + 14, 11
    top = 34
    width = 960
    plot = width - left - right
    high = max([v for _, _, vals in series for v in vals] + [1])
    ticks = _ticks(high)
    scale = plot / ticks[-1]
    height = top + row * len(labels) + 30
    body = []
    for t in ticks:
        x = left + t * scale
        body.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 24}" stroke="{GRID}"/>')
        body.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="#556">{short(t)}</text>')
    x_legend = left
    for name, colour, _ in series:
        body.append(f'<rect x="{x_legend}" y="8" width="12" height="12" fill="{colour}"/>'
                    f'<text x="{x_legend + 18}" y="18" fill="{INK}">{escape(name)}</text>')
        x_legend += 40 + 7 * len(name)
    if len(series) == 2:
        body.append(f'<text x="{width - 8}" y="18" text-anchor="end" fill="{INK}">change</text>')
    for i, label in enumerate(labels):
        y0 = top + i * row
        body.append(f'<text x="{left - 8}" y="{y0 + row / 2 + 2:.1f}" text-anchor="end" fill="{INK}">'
                    f"{escape(label)}</text>")
        for k, (name, colour, vals) in enumerate(series):
            w = max(vals[i] * scale, 0.0)
            y = y0 + 4 + k * (bar + 1)
            body.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar}" fill="{colour}">'
                        f"<title>{escape(label)}, {escape(name)}: {num(vals[i])} KZT</title></rect>")
            body.append(f'<text x="{left + w + 4:.1f}" y="{y + bar - 2}" fill="#556" font-size="10">'
                        f"{short(vals[i])}</text>")
        if len(series) == 2:
            delta = series[1][2][i] - series[0][2][i]
            colour = GAIN if delta > 0 else LOSE if delta < 0 else "#556"
            text = ("+" if delta > 0 else "") + short(delta) if delta else "0"
            body.append(f'<text x="{width - 8}" y="{y0 + row / 2 + 2:.1f}" text-anchor="end" fill="{colour}" '
                        f'font-weight="600">{escape(text)}</text>')
    return _svg(width, height, title, body)


def diverging(title: str, labels: list[str], losers: list[float], gainers: list[float]) -> str:
    """Losers to the left and gainers to the right of a shared axis, one row per label."""
    width, label_w, row, top = 960, 90, 18, 34
    half = (width - label_w - 40) / 2
    mid = label_w + 20 + half
    high = max([*losers, *gainers, 1])
    ticks = _ticks(high, 4)
    scale = (half - 50) / ticks[-1]
    height = top + row * len(labels) + 30
    body = [f'<rect x="{mid - 150}" y="8" width="12" height="12" fill="{LOSE}"/>'
            f'<text x="{mid - 132}" y="18" fill="{INK}">families that lose</text>',
            f'<rect x="{mid + 20}" y="8" width="12" height="12" fill="{GAIN}"/>'
            f'<text x="{mid + 38}" y="18" fill="{INK}">families that gain</text>']
    for t in ticks:
        for sign in (-1, 1):
            x = mid + sign * t * scale
            body.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 24}" stroke="{GRID}"/>')
            body.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="#556">{short(t)}</text>')
    for i, label in enumerate(labels):
        y = top + i * row
        body.append(f'<text x="{label_w}" y="{y + 12}" text-anchor="end" fill="{INK}">{escape(label)}</text>')
        lw, gw = losers[i] * scale, gainers[i] * scale
        body.append(f'<rect x="{mid - lw:.1f}" y="{y + 2}" width="{lw:.1f}" height="{row - 5}" fill="{LOSE}">'
                    f"<title>{escape(label)}: {num(losers[i])} families lose</title></rect>")
        body.append(f'<rect x="{mid:.1f}" y="{y + 2}" width="{gw:.1f}" height="{row - 5}" fill="{GAIN}">'
                    f"<title>{escape(label)}: {num(gainers[i])} families gain</title></rect>")
        if losers[i]:
            body.append(f'<text x="{mid - lw - 4:.1f}" y="{y + 12}" text-anchor="end" fill="#556" font-size="10">'
                        f"{num(losers[i])}</text>")
        if gainers[i]:
            body.append(f'<text x="{mid + gw + 4:.1f}" y="{y + 12}" fill="#556" font-size="10">'
                        f"{num(gainers[i])}</text>")
    body.append(f'<line x1="{mid:.1f}" y1="{top - 4}" x2="{mid:.1f}" y2="{height - 24}" stroke="{INK}"/>')
    return _svg(width, height, title, body)


def histogram(title: str, bins: list[dict[str, Any]]) -> str:
    """Families per band of annual change (KZT), losses left of zero, gains right."""
    shown = [b for b in bins if b["from_kzt"] != 0 or b["to_kzt"] != 0]
    width, height, left, right, bottom, top = 960, 330, 60, 60, 90, 24
    if not shown:
        return _svg(width, 60, title, [f'<text x="10" y="30" fill="{INK}">No family changes.</text>'])
    plot_w, plot_h = width - left - right, height - top - bottom
    high = max(b["families"] for b in shown)
    ticks = _ticks(high, 4)
    scale = plot_h / ticks[-1]
    step = plot_w / len(shown)
    body = [f'<text x="{left}" y="12" fill="#556">families</text>']
    for t in ticks:
        y = top + plot_h - t * scale
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#556">{short(t)}</text>')
    for i, b in enumerate(shown):
        h = b["families"] * scale
        x = left + i * step + 2
        colour = LOSE if b["to_kzt"] <= 0 else GAIN
        label = f"{short(b['from_kzt'])} … {short(b['to_kzt'])}"
        body.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{max(step - 4, 1):.1f}" height="{h:.1f}" '
                    f'fill="{colour}"><title>{escape(label)} KZT a year: {num(b["families"])} families</title></rect>')
        cx = x + (step - 4) / 2
        body.append(f'<text x="{cx:.1f}" y="{top + plot_h - h - 3:.1f}" text-anchor="middle" fill="#556" '
                    f'font-size="10">{short(b["families"])}</text>')
        body.append(f'<text transform="translate({cx:.1f},{top + plot_h + 12}) rotate(35)" fill="#556" '
                    f'font-size="10">{escape(label)}</text>')
        if i + 1 < len(shown) and b["to_kzt"] <= 0 < shown[i + 1]["from_kzt"]:
            zx = left + (i + 1) * step
            body.append(f'<line x1="{zx:.1f}" y1="{top - 6}" x2="{zx:.1f}" y2="{top + plot_h}" stroke="{INK}" '
                        f'stroke-dasharray="3,3"/>')
    return _svg(width, height, title, body)


def _table(head: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f'<td class="{"n" if j >= numeric_from else ""}">{c}</td>'
                                   for j, c in enumerate(r)) + "</tr>" for r in rows)
    return f'<div class="wide"><table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table></div>'


def group_rows(groups: list[tuple[str, dict[str, Any]]]) -> list[list[str]]:
    """Table rows of outcomes by region or by level."""
    return [[escape(k), num(g["families"]), num(g["gain"]), num(g["lose"]), num(g["unchanged"]),
             num(g["review_decisions"]), _signed(g["change_annual_kzt"])] for k, g in groups]


def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + num(x) if x >= 0 else "−" + num(-x)


CSS = f"""
body{{{FONT};color:{INK};margin:24px auto;max-width:1000px;padding:0 16px;line-height:1.4}}
h1{{font-size:24px;margin-bottom:4px}} h2{{font-size:18px;margin-top:32px;border-bottom:1px solid {GRID}}}
.meta{{color:#556}} .cards{{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}}
.card{{border:1px solid {GRID};border-radius:6px;padding:10px 14px;min-width:170px}}
.card b{{display:block;font-size:20px}} .lose{{color:{LOSE}}} .gain{{color:{GAIN}}}
.wide{{overflow-x:auto}} table{{border-collapse:collapse;width:100%;font-size:12px}}
th,td{{padding:4px 6px;border-bottom:1px solid {GRID}}}
th{{text-align:left;background:#f5f7f9}} td.n{{text-align:right;font-variant-numeric:tabular-nums}}
figure{{margin:12px 0}} figcaption{{color:#556;font-size:13px}}
"""


def render(report: dict[str, Any]) -> str:
    """The whole report page."""
    base, reform = report["baseline"], report["reform"]
    benefits = report["benefits"]
    labels = [b["benefit"] for b in benefits]
    cost_chart = grouped_bars("Annual cost by benefit (KZT)", labels, [
        (f"baseline ({base['as_of']})", BASE, [float(b["baseline_annual_kzt"]) for b in benefits]),
        (f"reform ({reform['as_of']})", REFORM, [float(b["reform_annual_kzt"]) for b in benefits]),
    ])
    regions = list(report["by_region"].items())
    region_chart = diverging("Families that gain and lose, by region", [r for r, _ in regions],
                             [float(g["lose"]) for _, g in regions], [float(g["gain"]) for _, g in regions])
    dist_chart = histogram("Distribution of the annual change per family (KZT)", report["distribution"])
    change = report["change_annual_kzt"]
    cards = [
        ("Families", num(report["families"]), ""),
        ("Annual cost, baseline", f"{short(report['baseline_annual_kzt'])} KZT", ""),
        ("Annual cost, reform", f"{short(report['reform_annual_kzt'])} KZT", ""),
        ("Change in annual cost", f"{'+' if change >= 0 else '−'}{short(abs(change))} KZT",
         "gain" if change >= 0 else "lose"),
        ("Families that gain", num(report["gain"]), "gain"),
        ("Families that lose", num(report["lose"]), "lose"),
        ("Unchanged", num(report["unchanged"]), ""),
        ("Cases for human review", num(report["review_cases"]["decisions"]), "lose"),
    ]
    card_html = "".join(f'<div class="card">{escape(t)}<b class="{c}">{escape(v)}</b></div>' for t, v, c in cards)
    benefit_rows = [[escape(b["benefit"]), escape(b["period"]), num(b["baseline_families"]), num(b["reform_families"]),
                     num(b["baseline_annual_kzt"]), num(b["reform_annual_kzt"]), _signed(b["change_annual_kzt"]),
                     num(b["grants"]), num(b["increases"]), num(b["reductions"]), num(b["terminations"])]
                    for b in benefits]
    group_head = ["", "families", "gain", "lose", "unchanged", "review cases", "change, KZT/year"]
    top_rows = [[escape(str(t["family_id"])), escape(str(t["region"])), str(t["wellbeing_level"]),
                 num(t["baseline_annual_kzt"]), num(t["reform_annual_kzt"]), _signed(t["change_annual_kzt"]),
                 escape(str(t["outcome"])), escape(str(t["changes"] or ""))] for t in report["biggest_changes"]]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reform comparison: {escape(reform['as_of'])} vs {escape(base['as_of'])}</title><style>{CSS}</style></head>
<body>
<h1>Reform comparison</h1>
<p class="meta">Baseline: <code>{escape(base['rules'])}</code> as of {escape(base['as_of'])}
({escape(base['ruleset_version'])}). Reform: <code>{escape(reform['rules'])}</code> as of {escape(reform['as_of'])}
({escape(reform['ruleset_version'])}). Population: <code>{escape(str(report['population']))}</code>.</p>
<div class="cards">{card_html}</div>
<p>A family <span class="lose">loses</span> when any of its benefits would be reduced or ended; each such decision
is adverse and goes to a person for review before it takes effect. A family <span class="gain">gains</span> when
it would get a new benefit or a higher amount and lose nothing. Costs: {escape(report['cost_basis'])}.</p>
<h2>Cost by benefit</h2><figure>{cost_chart}<figcaption>Annual cost of each benefit under the baseline and the
reform.</figcaption></figure>
{_table(["benefit", "period", "families (base)", "families (reform)", "annual KZT (base)", "annual KZT (reform)",
         "change", "grants", "increases", "reductions", "terminations"], benefit_rows, 2)}
<h2>Winners and losers by region</h2><figure>{region_chart}</figure>
{_table(["region", *group_head[1:]], group_rows(regions))}
<h2>By well-being level</h2>
{_table(["level", *group_head[1:]], group_rows(list(report["by_wellbeing_level"].items())))}
<h2>Distribution of changes</h2><figure>{dist_chart}<figcaption>Families by the change in their annual benefits,
in bands of 1-2-5; families without any change ({num(sum(b['families'] for b in report['distribution']
if b['from_kzt'] == 0 and b['to_kzt'] == 0))}) are not drawn.</figcaption></figure>
<h2>Biggest individual changes</h2>
{_table(["family", "region", "level", "base KZT/year", "reform KZT/year", "change", "outcome", "what changes"],
        top_rows, 3)}
</body></html>
"""
