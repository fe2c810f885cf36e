// The interaction form (new and resumed). Server-side htmx does the work; this adds:
// - choosing a contact from the suggestions fills the contact field; its change event
//   then brings the contact's defaults into the form (hx-trigger on #interaction-fields);
// - Escape closes the suggestions, and suggestions that arrive once the user has moved on
//   are dropped;
// - leaving the page with unsaved changes asks first ("Finish later" keeps them).
(function () {
  const form = document.getElementById("interaction-form");
  if (!form) return;
  const suggestions = () => document.getElementById("contact-suggestions");
  const contactField = () => form.querySelector("#id_contact");

  // Keep the focus in the contact field while a suggestion is clicked, so that its blur
  // does not refresh the form before the click chooses the contact.
  document.addEventListener("mousedown", (event) => {
    if (event.target.closest("[data-fill-contact]")) event.preventDefault();
  });
  document.addEventListener("click", (event) => {
    const choice = event.target.closest("[data-fill-contact]");
    if (!choice) return;
    const field = contactField();
    field.value = choice.dataset.fillContact;
    suggestions().replaceChildren();
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const list = suggestions();
    if (list && (list.contains(document.activeElement) || document.activeElement === contactField())) {
      list.replaceChildren();
      contactField().focus();
    }
  });

  // Suggestions that arrive after the user has left the contact field (typed a number and
  // moved on) would only stand in the way: drop them.
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const list = suggestions();
    if (event.detail.target !== list) return;
    if (document.activeElement !== contactField() && !list.contains(document.activeElement)) {
      event.detail.shouldSwap = false;
    }
  });

  let changed = false;
  form.addEventListener("input", () => { changed = true; });
  form.addEventListener("submit", () => { changed = false; });
  window.addEventListener("beforeunload", (event) => {
    if (changed && form.hasAttribute("data-warn-on-leave")) event.preventDefault();
  });
})();
