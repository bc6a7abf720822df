// Progressive enhancement of the call form (it works without this script).
(() => {
  const form = document.querySelector("[data-callform]");
  if (!form) return;

  // Ticking a key message or giving feedback marks the product as discussed (the server does
  // the same).
  form.querySelectorAll("[data-product]").forEach((product) => {
    const discussed = product.querySelector(".product-name input[type=checkbox]");
    if (!discussed) return;
    product.addEventListener("change", (event) => {
      const field = event.target;
      if (field === discussed) return;
      if ((field.type === "checkbox" && field.checked) || (field.type !== "checkbox" && field.value)) {
        discussed.checked = true;
      }
    });
  });

  // The attendee picker: filter the list as the rep types (no page load).
  const picker = form.querySelector("[data-picker]");
  const search = picker && picker.querySelector("[data-picker-search]");
  if (search) {
    search.hidden = false;
    const none = picker.querySelector("[data-picker-none]");
    search.addEventListener("input", () => {
      const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      picker.querySelectorAll("[data-picker-group]").forEach((group) => {
        let inGroup = 0;
        group.querySelectorAll("[data-picker-item]").forEach((item) => {
          const text = item.dataset.search.toLowerCase();
          const match = words.every((word) => text.includes(word)) || item.querySelector("input").checked;
          item.hidden = !match;
          inGroup += match ? 1 : 0;
        });
        group.hidden = inGroup === 0;
        shown += inGroup;
      });
      if (none) none.hidden = shown > 0;
    });
  }

  // On a form sent back with errors: open the section of the first error, scroll to it and
  // put the cursor in its field.
  const first = form.querySelector(".errors, .error");
  if (first) {
    for (let node = first.parentElement; node && node !== form; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    const holder = first.closest(".field, li, fieldset, details") || first;
    const field = holder.querySelector("input:not([type=hidden]):not([hidden]), select, textarea");
    first.scrollIntoView({ block: "center" });
    if (field) field.focus({ preventScroll: true });
  }
})();
