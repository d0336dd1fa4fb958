/* GTF task center: live status and progress. Part of GTF (Apache-2.0); hand-written,
   no dependencies, no build step. It streams changes over Server-Sent Events, or polls
   the API's status endpoint (with ETags) where the server cannot stream. The pages work
   without it: every action is a plain form, and a reload shows the latest state. */
(function () {
  "use strict";

  var TERMINAL = { SUCCESS: 1, FAILURE: 1, ABORTED: 1, TIMED_OUT: 1, GONE: 1 };
  var ICONS = { PENDING: "○", IN_PROGRESS: "◔", ABORTING: "◌", SUCCESS: "✓",
    FAILURE: "✕", ABORTED: "■", TIMED_OUT: "⌛" };

  var root = document.querySelector("[data-live]");
  if (!root) return;
  var labelsNode = document.getElementById("gtf-status-labels");
  var labels = labelsNode ? JSON.parse(labelsNode.textContent) : {};
  var loadedAt = Date.now();

  function tasks() {
    var found = {};
    Array.prototype.forEach.call(document.querySelectorAll("[data-task]"), function (el) {
      found[el.getAttribute("data-task")] = el;
    });
    return found;
  }

  function activeIds() {
    var all = tasks();
    return Object.keys(all).filter(function (uuid) {
      return !TERMINAL[all[uuid].getAttribute("data-status")];
    });
  }

  function say(kind) {
    var node = root.querySelector("[data-role=live-state]");
    if (node) node.textContent = node.getAttribute("data-text-" + kind) || "";
  }

  function number(n) {
    return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
  }

  function progressText(p) {
    var parts = [];
    if (p.percent !== null && p.percent !== undefined) parts.push(number(Math.round(p.percent * 10) / 10) + "%");
    if (p.current !== null && p.current !== undefined) {
      if (p.total !== null && p.total !== undefined) parts.push(number(p.current) + " / " + number(p.total));
      else parts.push(number(p.current) + " done");
    }
    return parts.join(" · ");
  }

  function duration(seconds) {
    if (seconds < 60) return number(Math.round(seconds * 10) / 10) + " s";
    var m = Math.floor(seconds / 60), s = Math.floor(seconds % 60);
    if (m < 60) return m + " min " + (s < 10 ? "0" : "") + s + " s";
    var h = Math.floor(m / 60); m = m % 60;
    return h + " h " + (m < 10 ? "0" : "") + m + " min";
  }

  function sortedJson(value) {
    return JSON.stringify(value, function (key, v) {
      if (v && typeof v === "object" && !Array.isArray(v)) {
        return Object.keys(v).sort().reduce(function (o, k) { o[k] = v[k]; return o; }, {});
      }
      return v;
    }, 2);
  }

  function showStatus(el, status, label) {
    el.setAttribute("data-status", status);
    var badge = el.querySelector("[data-role=status]");
    if (!badge) return;
    badge.className = "gtf-badge gtf-status-" + status.toLowerCase();
    badge.querySelector(".gtf-icon").textContent = ICONS[status] || "•";
    // The page's own labels are in the user's language; the feed's in the server's.
    badge.querySelector("[data-role=status-label]").textContent = labels[status] || label || status;
  }

  function showProgress(el, status, p) {
    var box = el.querySelector("[data-role=progress]");
    if (!box || !p) return;
    var bar = box.querySelector("progress"), text = progressText(p);
    if (p.percent !== null && p.percent !== undefined) {
      bar.value = p.percent;
      bar.setAttribute("aria-valuenow", String(p.percent));
      bar.setAttribute("aria-valuetext", text);
    } else if (status === "IN_PROGRESS") {
      bar.removeAttribute("value");  // indeterminate: running, no percent known
      bar.removeAttribute("aria-valuenow");
    }
    bar.textContent = text;
    box.querySelector("[data-role=progress-text]").textContent = text || "—";
  }

  function showStarted(el, event) {
    var started = el.querySelector("[data-role=started]");
    if (started && started.textContent.trim() === "—") {
      started.textContent = new Date(event.started_at).toLocaleString();
    }
    var cell = el.querySelector("[data-role=duration]");
    if (cell && !TERMINAL[event.status] && !cell.hasAttribute("data-running-seconds")) {
      // The ticker adds the time since the page loaded: start from "started" minus that.
      var running = (Date.now() - Date.parse(event.started_at)) / 1000;
      cell.setAttribute("data-running-seconds", String(running - (Date.now() - loadedAt) / 1000));
    }
  }

  function apply(event) {
    var el = tasks()[event.uuid];
    if (!el) return;
    var wasActive = !TERMINAL[el.getAttribute("data-status")];
    if (event.deleted) {
      el.setAttribute("data-status", "GONE");  // pruned: nothing more will come
      return;
    }
    showStatus(el, event.status, event.status_label);
    showProgress(el, event.status, event.progress);
    if (event.started_at) showStarted(el, event);
    var payload = el.querySelector("[data-role=payload]");
    if (payload && event.payload !== undefined) payload.textContent = sortedJson(event.payload);
    if (TERMINAL[event.status]) {
      var cell = el.querySelector("[data-role=duration]");
      if (cell) {
        cell.removeAttribute("data-running-seconds");
        if (event.duration_seconds !== null && event.duration_seconds !== undefined) {
          cell.textContent = duration(event.duration_seconds);
        }
      }
      if (wasActive && el.hasAttribute("data-detail")) redrawDetail();
    }
  }

  // A finished task shows its result, error and actions: take them from the page itself.
  function redrawDetail() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("gtf-task");
        var current = document.getElementById("gtf-task");
        if (fresh && current) current.replaceWith(document.importNode(fresh, true));
      })
      .catch(function () {});
  }

  function tickDurations() {
    var elapsed = (Date.now() - loadedAt) / 1000;
    Array.prototype.forEach.call(document.querySelectorAll("[data-running-seconds]"), function (cell) {
      cell.textContent = duration(parseFloat(cell.getAttribute("data-running-seconds")) + elapsed);
    });
  }

  function stream() {
    var ids = activeIds();
    if (!ids.length) return;
    var query = ids.map(function (u) { return "task=" + encodeURIComponent(u); }).join("&");
    var source = new EventSource(root.getAttribute("data-events-url") + "?" + query);
    var opened = false;
    source.addEventListener("open", function () { opened = true; say("sse"); });
    source.addEventListener("task", function (message) {
      apply(JSON.parse(message.data));
      if (!activeIds().length) source.close();
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        if (!opened) poll();  // the server does not stream (WSGI, or a proxy in the way)
        else say("off");
      } else {
        say("retry");  // the browser reconnects and resumes from Last-Event-ID
      }
    });
  }

  function poll() {
    var statusUrl = root.getAttribute("data-status-url");
    var taskUrl = root.getAttribute("data-task-url");
    var slot = root.getAttribute("data-uuid-slot");
    var every = parseInt(root.getAttribute("data-poll-ms"), 10) || 1000;
    var etags = {};
    if (!statusUrl) { say("off"); return; }
    say("poll");

    function refreshPayload(uuid) {
      var el = tasks()[uuid];
      if (!taskUrl || !el || !el.querySelector("[data-role=payload]")) return null;
      return fetch(taskUrl.replace(slot, uuid), { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (task) { if (task) apply({ uuid: uuid, payload: task.payload, status: task.status, progress: task.progress }); });
    }

    function check(uuid) {
      var headers = etags[uuid] ? { "If-None-Match": etags[uuid] } : {};
      return fetch(statusUrl.replace(slot, uuid), { headers: headers, credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          if (r.status === 304 || !r.ok) return null;
          etags[uuid] = r.headers.get("ETag");
          return r.json().then(function (s) {
            apply({ uuid: uuid, status: s.status, progress: s.progress });
            if (!TERMINAL[s.status]) return refreshPayload(uuid);
          });
        })
        .catch(function () { return null; });
    }

    function round() {
      var ids = document.hidden ? [] : activeIds();
      if (!document.hidden && !ids.length) return;  // everything on the page has finished
      Promise.all(ids.map(check)).then(function () { window.setTimeout(round, every); });
    }
    round();
  }

  window.setInterval(tickDurations, 1000);
  var mode = root.getAttribute("data-live");
  if (mode === "sse" && window.EventSource) stream();
  else if (mode === "sse" || mode === "poll") poll();
  else say("off");
})();
