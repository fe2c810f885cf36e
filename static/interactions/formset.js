// "Add a language" (and any other formset row): copies the formset's empty row from its
// <template>, numbers it, and counts it in the management form. Without JavaScript the
// button stays hidden and the formset's one extra row is there to fill in.
document.querySelectorAll("[data-add-form]").forEach((button) => {
  const template = document.getElementById(button.dataset.addForm);
  const target = document.getElementById(button.dataset.formTarget);
  const total = document.getElementById(`id_${button.dataset.formPrefix}-TOTAL_FORMS`);
  const maximum = document.getElementById(`id_${button.dataset.formPrefix}-MAX_NUM_FORMS`);
  if (!template || !target || !total) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    const index = Number(total.value);
    if (maximum && index >= Number(maximum.value)) return;
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    target.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const added = target.lastElementChild;
    const first = added && added.querySelector("select, input:not([type=hidden]), textarea");
    if (first) first.focus();
  });
});
