// Live updates for the consumer page. Rows are built with textContent only, so message
// values can never become markup; the page's CSP allows no inline script anyway.
"use strict";

(function () {
  const body = document.body;
  const rows = document.getElementById("rows");
  const statusEl = document.getElementById("status");
  const partitionsEl = document.getElementById("partitions");
  const liveEl = document.getElementById("live");
  const size = parseInt(body.dataset.bufferSize, 10) || 10;
  const since = body.dataset.lastSeq || "0";

  // From year 10000 on (and past what a Date holds) the raw value shows, as on the server.
  const YEAR_10000_MS = 253402300800000;

  function fmtTime(ms) {
    if (ms === null || ms < 0) return "";
    if (ms >= YEAR_10000_MS) return String(ms);
    return new Date(ms).toISOString().replace("T", " ");
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text === null || text === undefined ? "" : String(text);
    return td;
  }

  function addRow(rec) {
    const empty = rows.querySelector("tr.empty");
    if (empty) empty.remove();
    const tr = document.createElement("tr");
    tr.dataset.seq = rec.seq;
    tr.className = rec.skipped ? "new skipped" : "new";
    if (rec.skipped) {
      // A placeholder for a record that could not be read.
      ["", rec.partition, rec.offset, "", "", rec.skipped].forEach(function (t) { tr.appendChild(cell(t)); });
      return insertRow(tr);
    }
    tr.appendChild(cell(fmtTime(rec.timestamp)));
    tr.appendChild(cell(rec.partition));
    tr.appendChild(cell(rec.offset));
    tr.appendChild(cell(rec.key));
    tr.appendChild(cell(rec.headers.map(function (h) { return h[0] + "=" + h[1]; }).join(", ")));
    const value = cell("", rec.truncated ? "truncated" : "");
    const code = document.createElement("code");
    code.textContent = rec.value === null ? "" : rec.value;
    value.appendChild(code);
    tr.appendChild(value);
    insertRow(tr);
  }

  function insertRow(tr) {
    rows.insertBefore(tr, rows.firstChild);
    while (rows.children.length > size) rows.removeChild(rows.lastChild);
    // The highlight fades after a while; the class stays so tests and users can spot new rows.
    setTimeout(function () { tr.classList.add("seen"); }, 5000);
  }

  function showStatus(s) {
    let cls = "ok";
    let text = "Connected: consuming " + s.topic + " in group " + s.group + ".";
    if (!s.kafka.reachable) {
      cls = "down";
      text = "Kafka is unreachable (" + s.kafka.error + "). Reconnecting automatically…";
    } else if (!s.kafka.topic_exists) {
      cls = "down";
      text = "Kafka answers but topic " + s.topic + " does not exist yet. Retrying…";
    } else if (!s.member) {
      cls = "warn";
      text = "Kafka is reachable; joining consumer group " + s.group + "…";
    }
    statusEl.className = "status " + cls;
    statusEl.textContent = text;
    const owned = s.partitions.length ? s.partitions.join(", ") : "none";
    const lag = s.total_lag === null ? "unknown" : s.total_lag;
    partitionsEl.textContent = "Partitions owned by this instance: " + owned + ". Lag: " + lag + ".";
  }

  if (!window.EventSource) return;
  const source = new EventSource("/events?since=" + encodeURIComponent(since));
  source.addEventListener("open", function () {
    liveEl.className = "live on";
    liveEl.textContent = "Live: new messages appear at the top, highlighted.";
  });
  source.addEventListener("error", function () {
    liveEl.className = "live off";
    liveEl.textContent = "Live updates interrupted; reconnecting…";
    // EventSource gives up for good on a non-stream answer, such as a 401 once the sign-in
    // session ended: reload, which shows the sign-in form when that is the reason.
    if (source.readyState === EventSource.CLOSED) setTimeout(function () { window.location.reload(); }, 5000);
  });
  source.addEventListener("record", function (ev) { addRow(JSON.parse(ev.data)); });
  source.addEventListener("status", function (ev) { showStatus(JSON.parse(ev.data)); });
})();
