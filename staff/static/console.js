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
