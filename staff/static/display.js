// The waiting-room screen updates itself: it polls the clinic's called numbers every few seconds and writes
// them with textContent only. A link revoked or rotated by a manager turns the screen into its notice.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const screen = document.getElementById("screen");
  if (!screen) return;
  let stamp = screen.dataset.stamp;
  let every = Number(screen.dataset.every || 3) * 1000;
  const latest = document.getElementById("latest");
  const none = document.getElementById("none");
  const earlier = document.getElementById("earlier");

  function render(called) {
    const first = called[0];
    const before = document.getElementById("latest-primary").textContent;
    latest.hidden = !first;
    none.hidden = Boolean(first);
    document.getElementById("latest-primary").textContent = first ? first.primary : "";
    document.getElementById("latest-secondary").textContent = first ? first.secondary : "";
    if (first && first.primary !== before) {
      latest.classList.remove("fresh");
      void latest.offsetWidth; // restart the flash
      latest.classList.add("fresh");
    }
    earlier.replaceChildren();
    for (const c of called.slice(1)) {
      const item = document.createElement("li");
      item.dataset.number = c.number;
      const span = document.createElement("span");
      span.textContent = c.primary;
      item.append(span);
      earlier.append(item);
    }
  }

  const tick = () =>
    fetch(screen.dataset.poll + "?stamp=" + encodeURIComponent(stamp), { headers: { Accept: "application/json" } })
      .then((r) => {
        if (r.status === 404) {
          window.location.reload(); // the link was rotated or revoked: the page says so
          return null;
        }
        return r.ok ? r.json() : null;
      })
      .then((data) => {
        if (!data) return;
        every = Math.max(1000, (data.every || 3) * 1000);
        if (data.changed) render(data.called);
        stamp = data.stamp;
        screen.dataset.stamp = stamp;
      })
      .catch(() => {})
      .finally(() => setTimeout(tick, every));
  setTimeout(tick, every);
});
