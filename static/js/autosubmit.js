// Progressive enhancement: a <select data-autosubmit> submits its form when changed (without
// JavaScript the form's own button does). Kept out of the page: the CSP allows no inline script.
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
