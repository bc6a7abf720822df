// Progressive enhancement of the call form: ticking a key message or giving feedback marks the
// product as discussed (the server does the same without this script).
document.querySelectorAll("[data-product]").forEach((product) => {
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
