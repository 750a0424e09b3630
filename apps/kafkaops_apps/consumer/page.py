"""Server-rendered HTML for GET /: complete without JavaScript, every value escaped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from .buffer import Entry

# No inline script or style anywhere: JS and CSS come from /static, so this policy holds.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def fmt_time(ms: int | None) -> str:
    """A record's timestamp in UTC; one past what datetime holds (year 10000 on) shows as raw ms."""
    if ms is None or ms < 0:
        return ""
    try:
        moment = EPOCH + timedelta(milliseconds=ms)  # integer arithmetic: no float rounding
    except OverflowError:
        return str(ms)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def e(value: Any) -> str:
    return "" if value is None else escape(str(value), quote=True)


def row(entry: Entry) -> str:
    if entry.skipped:
        return (
            f'<tr data-seq="{entry.seq}" class="skipped"><td></td><td>{entry.partition}</td>'
            f"<td>{entry.offset}</td><td></td><td></td><td>{e(entry.skipped)}</td></tr>"
        )
    headers = ", ".join(f"{name}={value}" for name, value in entry.headers)
    cls = ' class="truncated"' if entry.truncated else ""
    return (
        f'<tr data-seq="{entry.seq}"><td>{e(fmt_time(entry.timestamp))}</td><td>{entry.partition}</td>'
        f"<td>{entry.offset}</td><td>{e(entry.key)}</td><td>{e(headers)}</td>"
        f"<td{cls}><code>{e(entry.value)}</code></td></tr>"
    )


def status_text(status: dict[str, Any]) -> tuple[str, str]:
    """(css class, sentence) for the banner; says plainly when Kafka is unreachable."""
    kafka = status["kafka"]
    if not kafka["reachable"]:
        return "down", f"Kafka is unreachable ({kafka['error']}). Reconnecting automatically…"
    if not kafka["topic_exists"]:
        return "down", f"Kafka answers but topic {status['topic']} does not exist yet. Retrying…"
    if not status["member"]:
        return "warn", f"Kafka is reachable; joining consumer group {status['group']}…"
    return "ok", f"Connected: consuming {status['topic']} in group {status['group']}."


def partitions_text(status: dict[str, Any]) -> str:
    parts = status["partitions"]
    owned = ", ".join(str(p) for p in parts) if parts else "none"
    lag = status["total_lag"]
    return f"Partitions owned by this instance: {owned}. Lag: {'unknown' if lag is None else lag}."


def render(entries: list[Entry], status: dict[str, Any], size: int) -> str:
    state, sentence = status_text(status)
    rows = "\n".join(row(entry) for entry in entries)
    empty = "" if entries else '<tr class="empty"><td colspan="6">No messages yet.</td></tr>'
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kafka messages: {e(status["topic"])}</title>
<link rel="stylesheet" href="/static/style.css">
<script src="/static/app.js" defer></script>
</head>
<body data-buffer-size="{size}" data-last-seq="{entries[0].seq if entries else 0}">
<h1>Last {size} messages on <code>{e(status["topic"])}</code></h1>
<p id="status" class="status {state}" role="status">{e(sentence)}</p>
<p id="partitions">{e(partitions_text(status))}</p>
<p id="live" class="live">Live updates need JavaScript; <a href="/">reload</a> to refresh.</p>
<table>
<thead><tr><th>Time (UTC)</th><th>Partition</th><th>Offset</th><th>Key</th><th>Headers</th><th>Value</th></tr></thead>
<tbody id="rows">
{rows}{empty}
</tbody>
</table>
</body>
</html>
"""
