// Progressive enhancement only: every page works without this file.
// The role group matters for non-prescribers only: hide it for prescribers (unless it holds a value).
document.querySelectorAll("form select[name=kind]").forEach((kind) => {
  const group = kind.form.querySelector("select[name=role_group]");
  if (!group) return;
  const field = group.closest(".field");
  const sync = () => { field.hidden = kind.value !== "non_prescriber" && !group.value; };
  kind.addEventListener("change", sync);
  sync();
});
