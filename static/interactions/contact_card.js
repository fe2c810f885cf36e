// The contact card's composer: keyboard shortcuts. On the card, when no field has the focus,
// n, c, m and e open the note, call, meeting and e-mail tabs (the tabs name their key in
// aria-keyshortcuts); in the composer, Ctrl+Enter (Cmd+Enter) records.
(() => {
  const typing = (element) =>
    element && (element.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(element.tagName));

  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      const form = event.target.closest && event.target.closest("#composer-form");
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const tab = document.querySelector(`#composer [data-composer-key="${CSS.escape(event.key)}"]`);
    if (!tab) return;
    event.preventDefault();
    tab.click();
  });

  // After a tab is loaded by a shortcut or a click, the first field takes the focus.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "composer") {
      const composer = document.getElementById("composer");
      const invalid = composer && composer.querySelector(".is-invalid, [aria-invalid='true']");
      if (invalid) invalid.focus();
    }
  });
})();
