// Type-ahead customer search (progressive enhancement: without this file the form submits to
// the pick page, which shows the same results). While typing, after a 150 ms pause, the
// results fragment replaces the list; a newer keystroke aborts the request in flight.
// Keys: ↓ from the box goes to the results, ↑/↓ move between them, Esc returns to the box.
document.querySelectorAll("form[data-typeahead]").forEach((form) => {
  const input = form.querySelector("input[name=q]");
  const results = document.getElementById(form.dataset.results);
  const status = document.getElementById(form.dataset.status);
  if (!input || !results || !window.fetch || !window.AbortController) return;
  let timer = null;
  let controller = null;
  let shown = input.value.trim();

  const search = async () => {
    const q = input.value.trim();
    if (q === shown) return;
    if (controller) controller.abort();
    shown = q;
    if (!q) {
      results.replaceChildren();
      status.textContent = "";
      return;
    }
    controller = new AbortController();
    try {
      const url = `${form.dataset.typeahead}?q=${encodeURIComponent(q)}`;
      const response = await fetch(url, {
        signal: controller.signal,
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(response.status);
      results.innerHTML = await response.text();
      const found = results.querySelector("[data-status]");
      status.textContent = found ? found.dataset.status : "";
    } catch (error) {
      if (error.name === "AbortError") return;
      shown = null; // try again on the next keystroke; Enter still submits the form
    }
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });

  const links = () => Array.from(results.querySelectorAll(".result .who, .noresult a"));
  const move = (from, step) => {
    const all = links();
    const next = all[all.indexOf(from) + step];
    if (next) next.focus();
    else if (step < 0) input.focus();
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && links().length) {
      event.preventDefault();
      links()[0].focus();
    }
  });
  results.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const row = event.target.closest(".result, .noresult");
      const from = row ? row.querySelector(".who, a") : null;
      move(from, event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Escape") {
      input.focus();
    }
  });
});
