// Leaving a form by a link inside the app with unsaved input asks, as the original asks on
// close: keep it ("Finish later" on the interaction form posts it as a postponed
// interaction; "Save draft" on the e-mail form, marked data-leave-prompt="save_draft",
// saves the draft; then the link is followed), "Discard" (the link is followed) or "Stay".
// Without this script links simply leave the page.
(function () {
  const form = document.querySelector("form[data-leave-prompt]") || document.getElementById("interaction-form");
  const prompt = document.getElementById("leave-prompt");
  if (!form || !prompt || !window.bootstrap) return;
  const modal = bootstrap.Modal.getOrCreateInstance(prompt);
  let changed = false;
  let destination = null;
  form.addEventListener("input", () => { changed = true; });
  form.addEventListener("change", () => { changed = true; });
  form.addEventListener("submit", () => { changed = false; });

  function leavesTheForm(link, event) {
    if (event.defaultPrevented || event.button !== 0) return false;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return false;
    if (link.target && link.target !== "_self") return false;
    if (link.hasAttribute("download") || link.hasAttribute("data-bs-toggle") || link.closest("#leave-prompt")) return false;
    if (link.closest("[data-fill-contact]") || link.hasAttribute("data-fill-contact")) return false;
    const url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin) return false;  // inside the app only
    if (url.pathname === window.location.pathname && url.search === window.location.search && url.hash) return false;
    return true;
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || !changed || !leavesTheForm(link, event)) return;
    event.preventDefault();
    destination = link.href;
    modal.show();
  });

  function follow() {
    changed = false;
    form.removeAttribute("data-warn-on-leave");  // no second question from the browser
    window.location.assign(destination);
  }

  prompt.addEventListener("click", (event) => {
    const choice = event.target.closest("[data-leave]");
    if (!choice || !destination) return;
    if (choice.dataset.leave === "discard") {
      follow();
    } else if (choice.dataset.leave === "postpone") {
      let next = form.querySelector('input[name="next"]');
      if (!next) {
        next = document.createElement("input");
        next.type = "hidden";
        next.name = "next";
        form.append(next);
      }
      next.value = destination;
      modal.hide();
      const action = form.dataset.leavePrompt || "postpone";
      form.requestSubmit(form.querySelector(`button[name="action"][value="${action}"]`));
    }
  });
})();
