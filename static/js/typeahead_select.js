// A desk filter with more choices than a <select> can carry (core.widgets.TypeaheadSelect): a
// search box whose suggestions (a <datalist>) come from the filter's JSON endpoint while typing,
// after a 150 ms pause (a newer keystroke aborts the request in flight). The chosen row's id
// goes into the hidden input of the filter's name, so the URL keeps `?territory=<id>` as with
// the select; an emptied box clears the filter; text matching no suggestion is sent as typed
// and the page says it is not a valid choice. Kept out of the page: the CSP allows no inline
// script.
document.querySelectorAll("[data-typeahead-select]").forEach((box) => {
  const hidden = box.querySelector("[data-typeahead-value]");
  const input = box.querySelector("[data-typeahead-label]");
  const list = box.querySelector("datalist");
  if (!hidden || !input || !list || !window.fetch || !window.AbortController) return;
  const ids = new Map(); // suggestion label -> id
  if (hidden.value) ids.set(input.value.trim(), hidden.value);
  let timer = null;
  let controller = null;

  const choose = () => {
    const text = input.value.trim();
    hidden.value = text ? ids.get(text) || text : "";
  };

  const search = async () => {
    const q = input.value.trim();
    if (controller) controller.abort();
    if (!q || ids.has(q)) return;
    controller = new AbortController();
    try {
      const url = `${box.dataset.typeaheadSelect}?q=${encodeURIComponent(q)}`;
      const response = await fetch(url, {
        signal: controller.signal,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const { results } = await response.json();
      list.replaceChildren(
        ...results.map(({ id, label }) => {
          ids.set(label, id);
          const option = document.createElement("option");
          option.value = label;
          return option;
        }),
      );
      choose();
    } catch (error) {
      if (error.name !== "AbortError") throw error;
    }
  };

  input.addEventListener("input", () => {
    choose();
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  input.addEventListener("change", choose);
});
