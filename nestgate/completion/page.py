"""The completion record as one self-contained HTML page (no scripts, no external files), like the
KPI page: the twelve boxes with their proof or reason, the evidence read and what was refused."""

from __future__ import annotations

import html
from typing import Any


def _row(box: dict[str, Any]) -> str:
    mark = "✅" if box["ok"] else "✗"
    cls = "ok" if box["ok"] else "no"
    return (f'<tr class="{cls}"><td class="mark">{mark}</td><td>{html.escape(box["line"])}</td>'
            f'<td>{html.escape(box["proof"])}</td></tr>')


def render(record: dict[str, Any]) -> str:
    boxes = record["boxes"]
    done = sum(1 for b in boxes if b["ok"])
    verdict = "COMPLETE" if record["complete"] else "NOT COMPLETE"
    sources = "".join(f"<li>{html.escape(s)}</li>" for s in record["evidence"]["read"]) or "<li>none</li>"
    refused = "".join(f"<li>{html.escape(s)}</li>" for s in record["evidence"]["refused"]) or "<li>none</li>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(record['target'])}: deployment completion</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid #bbb; padding: .4em; vertical-align: top; text-align: left; }}
tr.ok td.mark {{ color: #060; }} tr.no td.mark {{ color: #b00; font-weight: bold; }}
.verdict {{ font-size: 1.4em; font-weight: bold; }}
</style></head><body>
<h1>Deployment Completion Checklist: {html.escape(record['target'])}</h1>
<p class="verdict">Final Validation: {verdict} ({done}/{len(boxes)} boxes proven)</p>
<p>Stack {html.escape(record['stack'])}; recorded {html.escape(record['created'])} by nestgate
{html.escape(record['nestgate_version'])}. Every ✅ cites the evidence that proves it; every ✗ says why.</p>
<table><tr><th></th><th>Final Validation</th><th>Proof or reason</th></tr>
{''.join(_row(b) for b in boxes)}
</table>
<h2>Evidence read (verified)</h2><ul>{sources}</ul>
<h2>Refused as evidence</h2><ul>{refused}</ul>
<h2>Deployment Sign-off</h2>
<p>Signatures are added by <code>nestgate signoff</code> (signoffs/ beside this page) for the roles
Deployment Lead, Security Lead, Operations Lead and Product Manager.</p>
</body></html>
"""
