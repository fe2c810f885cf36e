// The contact card's composer: keyboard shortcuts. On the card, when no field has the focus,
// n, c, m and e open the note, call, meeting and e-mail tabs (the tabs name their key in
// aria-keyshortcuts); in the composer, Ctrl+Enter (Cmd+Enter) records.
(() => {

  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      const form = event.target.closest && event.target.closest("#composer-form");
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
    }
  });

  // n, c, m, e go through the page's shortcut registry (static/crm/shortcuts.js), so that
  // they are listed on the "?" overlay and do not fire inside a sequence such as "g c".
  const register = (shortcut) =>
    window.crmShortcuts
      ? window.crmShortcuts.register(shortcut)
      : (window.crmShortcutsPending = window.crmShortcutsPending || []).push(shortcut);
  const texts = document.getElementById("shortcut-texts");
  const text = (id, fallback) => texts?.content.querySelector(`[data-id="${id}"]`)?.textContent.trim() || fallback;
  const tab = (key) => () => document.querySelector(`#composer [data-composer-key="${CSS.escape(key)}"]`);
  [
    ["n", "composer-note", "Log a note"],
    ["c", "composer-call", "Log a call"],
    ["m", "composer-meeting", "Invite to a meeting"],
    ["e", "composer-email", "Write an e-mail"],
  ].forEach(([key, id, fallback]) =>
    register({
      keys: key,
      group: "card",
      description: text(id, fallback),
      run: () => tab(key)()?.click(),
      when: () => Boolean(tab(key)()),
    }),
  );
  register({
    keys: "Ctrl+Enter",
    group: "card",
    description: text("composer-record", "Record what the composer holds"),
    when: () => Boolean(document.getElementById("composer-form")),
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
