// Progressive enhancement: the department select offers only the chosen institution's
// departments (each option carries data-institution); the server checks it again.
document.querySelectorAll("form select[name=department]").forEach((select) => {
  const institution = select.form.querySelector("select[name=institution]");
  if (!institution) return;
  const options = Array.from(select.options);
  const sync = () => {
    const chosen = select.value;
    select.replaceChildren(
      ...options.filter((o) => !o.dataset.institution || o.dataset.institution === institution.value),
    );
    select.value = options.some((o) => o.value === chosen && o.parentNode === select) ? chosen : "";
  };
  institution.addEventListener("change", sync);
  sync();
});
// A duplicate warning is the first thing to read: bring it into view.
const duplicates = document.getElementById("duplicates");
if (duplicates) duplicates.focus();
