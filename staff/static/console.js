// The console's live parts: the inbox badge, the inbox list and an open thread refresh themselves by short
// polling (every few seconds) of their .json views. No markup is built from text: only textContent.
"use strict";

const POLL_MS = 4000;

function poll(url, render) {
  const tick = () =>
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok && r.headers.get("content-type").includes("json") ? r.json() : null))
      .then((data) => data && render(data))
      .catch(() => {})
      .finally(() => setTimeout(tick, POLL_MS));
  tick();
}

function cell(row, text) {
  const td = row.insertCell();
  td.textContent = text;
  return td;
}

function renderThreads(table, data) {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const thread of data.threads) {
    const row = body.insertRow();
    row.className = "thread " + thread.status;
    row.dataset.thread = thread.id;
    const link = document.createElement("a");
    link.href = table.dataset.threadUrl + thread.id;
    link.textContent = thread.phone;
    row.insertCell().append(link);
    cell(row, thread.status === "open" ? table.dataset.openLabel : table.dataset.closedLabel);
    cell(row, thread.last).className = "last";
    cell(row, thread.updated);
  }
  const empty = document.getElementById("no-threads");
  if (empty) empty.hidden = data.threads.length > 0;
}

function renderConversation(list, data) {
  const labels = JSON.parse(list.dataset.statusLabels || "{}");
  list.replaceChildren();
  for (const m of data.messages) {
    const item = document.createElement("li");
    item.className = "line " + m.direction;
    item.dataset.line = m.id;
    const body = document.createElement("span");
    body.className = "body";
    body.textContent = m.body;
    const small = document.createElement("small");
    small.textContent = m.at;
    if (m.status) {
      const status = document.createElement("span");
      status.className = "sms-status";
      status.textContent = labels[m.status] || m.status;
      small.append(" · ", status);
    }
    item.append(body, small);
    list.append(item);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const badge = document.getElementById("inbox-count");
  const threads = document.getElementById("threads");
  const conversation = document.getElementById("conversation");
  if (threads) {
    poll(threads.dataset.poll, (data) => {
      renderThreads(threads, data);
      if (badge) badge.textContent = data.open ? String(data.open) : "";
    });
  } else if (badge) {
    poll(badge.dataset.countUrl, (data) => {
      badge.textContent = data.open ? String(data.open) : "";
    });
  }
  if (conversation) poll(conversation.dataset.poll, (data) => renderConversation(conversation, data));
});

// The day page: poll the board's stamp; when it moved, swap in the parts the server rendered again (the
// same templates as the page, escaped by the server), keeping the forms being typed into untouched.
function liveBoard(live) {
  let stamp = live.dataset.stamp;
  let every = 2500;
  const tick = () =>
    fetch(live.dataset.poll + "?stamp=" + encodeURIComponent(stamp), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((r) => {
        if (r.redirected) {
          window.location.reload(); // signed out (idle): the sign-in page says why
          return null;
        }
        return r.ok && r.headers.get("content-type").includes("json") ? r.json() : null;
      })
      .then((data) => {
        if (!data) return;
        every = Math.max(1000, (data.every || 2.5) * 1000);
        if (data.changed && data.html) {
          const fresh = new DOMParser().parseFromString(data.html, "text/html");
          for (const part of fresh.querySelectorAll("[data-live-part][id]")) {
            const old = document.getElementById(part.id);
            if (old) old.replaceWith(document.adoptNode(part));
          }
          live.dataset.updated = String(Date.now());
        }
        stamp = data.stamp;
        live.dataset.stamp = stamp;
      })
      .catch(() => {})
      .finally(() => setTimeout(tick, every));
  setTimeout(tick, every);
}

document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("live");
  if (live && live.dataset.poll) liveBoard(live);
});

// The room of "call next": this browser remembers the last one used at each clinic.
document.addEventListener("DOMContentLoaded", () => {
  const room = document.getElementById("call-room");
  if (!room || !window.localStorage) return;
  const key = "clinicline-room:" + window.location.pathname.split("/")[2];
  if (!room.value) room.value = localStorage.getItem(key) || "";
  room.form.addEventListener("submit", () => localStorage.setItem(key, room.value.trim()));
});
