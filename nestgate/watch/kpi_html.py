"""The KPI page: one self-contained HTML file (inline SVG plots by matplotlib, inline CSS, no script,
no external URL) so a person can look rather than read. Built from the history, which is redacted
already; the final text still passes through REDACTOR."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import jinja2
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from nestgate.config.watch import Watch
from nestgate.redact import REDACTOR
from nestgate.watch.history import Event, History, Sample
from nestgate.watch.kpi import MET, NO_DATA, NOT_MET, KpiReport, ServiceStats

BUCKETS = 60  # availability is plotted as % answered per time bucket: outages show as dips
_PROLOG = re.compile(r"^.*?(?=<svg)", re.DOTALL)  # the XML declaration and DOCTYPE before <svg>
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.DOTALL)  # RDF with namespace URLs; not needed


def _when(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


def _by_subject(samples: list[Sample]) -> dict[str, list[Sample]]:
    out: dict[str, list[Sample]] = {}
    for s in samples:
        out.setdefault(s.subject, []).append(s)
    return out


def _svg(title: str, ylabel: str, draw: Callable[[Axes], bool], events: list[Event]) -> str:
    """One plot as inline SVG; `draw` returns False when it had nothing to draw."""
    fig = Figure(figsize=(10, 3.2), dpi=96)
    ax = fig.add_subplot()
    had_data = draw(ax)
    for i, ev in enumerate(events):  # trigger firings, marked on every plot over time
        ax.axvline(_when(ev.ts), color="tab:red" if ev.level >= 2 else "tab:orange", linestyle="--", linewidth=1,
                   label="trigger fired" if i == 0 else None)
    if not had_data:
        ax.text(0.5, 0.5, "no samples in the period", transform=ax.transAxes, ha="center", va="center")
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return _METADATA.sub("", _PROLOG.sub("", buf.getvalue(), count=1))


def _availability(ok: dict[str, list[Sample]], since: float, until: float, target: float) -> Callable[[Axes], bool]:
    def draw(ax: Axes) -> bool:
        width = max((until - since) / BUCKETS, 1e-6)
        for endpoint, samples in sorted(ok.items()):
            buckets: dict[int, list[float]] = {}
            for s in samples:
                buckets.setdefault(int((s.ts - since) // width), []).append(s.value)
            xs = [_when(since + (b + 0.5) * width) for b in sorted(buckets)]
            ys = [100.0 * sum(v >= 1.0 for v in buckets[b]) / len(buckets[b]) for b in sorted(buckets)]
            ax.plot(xs, ys, marker=".", label=endpoint)
        ax.axhline(target, color="tab:green", linewidth=1, label=f"target {target:g} %")
        ax.set_ylim(-5, 105)
        return bool(ok)
    return draw


def _response(resp: dict[str, list[Sample]], limit_s: float) -> Callable[[Axes], bool]:
    def draw(ax: Axes) -> bool:
        top = limit_s * 1.1
        for endpoint, samples in sorted(resp.items()):
            answered = [s for s in samples if s.value >= 0]
            line = ax.plot([_when(s.ts) for s in answered], [s.value for s in answered], marker=".",
                           linewidth=0.8, label=endpoint)[0]
            failed = [s for s in samples if s.value < 0]
            if failed:
                top = max([top, *(s.value for s in answered)])
                ax.scatter([_when(s.ts) for s in failed], [top] * len(failed), marker="x", color=line.get_color(),
                           label=f"{endpoint}: no answer")
        ax.axhline(limit_s, color="tab:green", linewidth=1, label=f"target < {limit_s:g} s (p95)")
        ax.set_ylim(bottom=0)
        return bool(resp)
    return draw


def _lines(series: dict[str, list[tuple[float, float]]], limit: tuple[float, str] | None) -> Callable[[Axes], bool]:
    def draw(ax: Axes) -> bool:
        for subject, points in sorted(series.items()):
            ax.plot([_when(t) for t, _ in points], [v for _, v in points], marker=".", linewidth=0.8, label=subject)
        if limit is not None:
            ax.axhline(limit[0], color="tab:red", linewidth=1, label=limit[1])
        ax.set_ylim(bottom=0)
        return any(series.values())
    return draw


def _error_rates(errs: dict[str, list[Sample]]) -> dict[str, list[tuple[float, float]]]:
    """log.errors counts lines since the previous sample: per minute = count / gap."""
    return {svc: [(b.ts, b.value * 60.0 / (b.ts - a.ts)) for a, b in pairwise([s for s in samples if s.value >= 0])
                  if b.ts > a.ts] for svc, samples in errs.items()}


TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string("""\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>nestgate KPIs: {{ target }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.met { background: #dff3df; } .not-met { background: #f8d7d7; } .no-data { background: #fde9c8; }
.verdict { font-size: 1.3em; font-weight: bold; padding: 0.4em 0.8em; display: inline-block; }
figure { margin: 0 0 1em; } svg { max-width: 100%; height: auto; }
</style></head>
<body>
<h1>nestgate KPIs: {{ target }}</h1>
<p>Period {{ since }} to {{ until }} (UTC), from {{ history }}. Generated {{ generated }}.</p>
<p class="verdict {{ 'met' if report.all_met else 'not-met' }}">
{{ 'ALL KPIs MET' if report.all_met else 'KPIs NOT MET' }}</p>
<p>"no data" counts as not met: a KPI nobody measured is not a KPI that held.</p>

<h2>KPIs</h2>
<table id="kpis"><tr><th>KPI</th><th>Subject</th><th>Measured</th><th>Target</th><th>Verdict</th><th>Detail</th></tr>
{% for r in report.rows %}<tr class="{{ css[r.verdict] }}"><td>{{ r.kpi }}</td><td>{{ r.subject }}</td>
<td>{{ r.measured }}</td><td>{{ r.target }}</td><td>{{ r.verdict }}</td><td>{{ r.detail }}</td></tr>
{% endfor %}</table>

<h2>Response time percentiles (2xx answers)</h2>
<table id="latency"><tr><th>Endpoint</th><th>Requests</th><th>Answered 2xx</th><th>p50 s</th><th>p95 s</th>
<th>p99 s</th><th>max s</th></tr>
{% for x in report.latency %}<tr><td>{{ x.endpoint }}</td><td>{{ x.requests }}</td><td>{{ x.answered }}</td>
<td>{{ num(x.p50) }}</td><td>{{ num(x.p95) }}</td><td>{{ num(x.p99) }}</td><td>{{ num(x.max) }}</td></tr>
{% endfor %}</table>

<h2>Plots over time</h2>
{% for title, svg in plots %}<figure aria-label="{{ title }}">{{ svg | safe }}</figure>
{% endfor %}

<h2>Per service (shown, not judged)</h2>
<table id="services"><tr><th>Service</th><th>Memory mean %</th><th>Memory peak %</th><th>Log errors/min mean</th>
<th>Log errors/min peak</th></tr>
{% for m, e in services %}<tr><td>{{ m.service }}</td><td>{{ num(m.mean) }}</td><td>{{ num(m.peak) }}</td>
<td>{{ num(e.mean) }}</td><td>{{ num(e.peak) }}</td></tr>
{% endfor %}</table>

<h2>Trigger firings</h2>
{% if events %}<table id="events"><tr><th>Time (UTC)</th><th>Level</th><th>Trigger</th><th>Subject</th><th>Detail</th>
<th>Actions</th></tr>
{% for ev in events %}<tr><td>{{ stamp(ev.ts) }}</td><td>{{ ev.level }}</td><td>{{ ev.trigger }}</td>
<td>{{ ev.subject }}</td><td>{{ ev.detail | tojson }}</td><td>{{ ev.actions | tojson }}</td></tr>
{% endfor %}</table>{% else %}<p>No trigger fired in the period.</p>{% endif %}
</body></html>
""")


def _stamp(ts: float) -> str:
    return _when(ts).strftime("%Y-%m-%d %H:%M:%S")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")


def render(report: KpiReport, history: History, watch: Watch, *, target: str) -> str:
    since, until = report.since, report.until
    events = [e for e in history.events(since=since) if e.ts <= until]
    ok = _by_subject(history.samples("http.ok", since=since, until=until))
    resp = _by_subject(history.samples("http.response_s", since=since, until=until))
    mem = {s: [(x.ts, x.value) for x in v if x.value >= 0] for s, v in
           _by_subject(history.samples("memory.percent", since=since, until=until)).items()}
    errs = _error_rates(_by_subject(history.samples("log.errors", since=since, until=until)))
    firsts = [v[0].ts for v in ok.values()] + [v[0][0] for v in (*mem.values(), *errs.values()) if v]
    plot_since = since if since > 0 else min([until, *firsts])  # "all history" starts at its first sample
    triggers = watch.triggers
    plots = [
        ("Availability per endpoint (% answered 2xx per time bucket)",
         _svg("Availability per endpoint", "% answered 2xx",
              _availability(ok, plot_since, until, watch.kpi.availability_percent), events)),
        ("Response time per endpoint",
         _svg("Response time per endpoint (x: no answer)", "seconds", _response(resp, watch.kpi.response_time_s),
              events)),
        ("Memory per service",
         _svg("Memory per service (% of its limit)", "%",
              _lines(mem, (triggers.memory_percent, f"trigger {triggers.memory_percent:g} %")), events)),
        ("Log errors per minute per service",
         _svg("Log error lines per minute per service", "lines/min",
              _lines(errs, (triggers.errors_per_minute, f"trigger {triggers.errors_per_minute:g}/min")), events)),
    ]
    stats = {e.service: e for e in report.errors_per_minute}
    services = [(m, stats.get(m.service, ServiceStats(m.service, 0, None, None))) for m in report.memory]
    context: dict[str, Any] = {
        "target": target, "report": report, "history": str(history.path), "plots": plots, "events": events,
        "services": services, "since": _stamp(plot_since), "until": _stamp(until),
        "generated": _stamp(dt.datetime.now(dt.UTC).timestamp()), "num": _num, "stamp": _stamp,
        "css": {MET: "met", NOT_MET: "not-met", NO_DATA: "no-data"},
    }
    return REDACTOR.scrub(TEMPLATE.render(**context))
