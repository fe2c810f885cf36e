// Keyboard shortcuts and their help overlay ("?", templates/shortcuts_help.html).
//
// A small registry, window.crmShortcuts: every shortcut the page offers is registered with
//   crmShortcuts.register({keys: ["g", "l"], group: "log", description: "…", run: () => …,
//                          when: () => true})
// `keys` is one key ("x") or a sequence typed within a second ("g", "l"); `group` a key of
// the overlay's data-group-* labels (or any text); `when` says whether it applies now (the
// overlay lists only those). Pages add their own (the composer, for example) with a script
// of theirs after this one, or before it by pushing the same objects onto
// window.crmShortcutsPending. Shortcuts never fire while the cursor is in a field, or with
// Ctrl, Alt or Cmd held ("/" and Ctrl+K belong to the search box, search.js).
(() => {
  const registered = [];
  const SEQUENCE_MS = 1000;
  const overlay = document.getElementById("shortcuts-help");
  const texts = document.getElementById("shortcut-texts");
  const text = (id, fallback) => texts?.content.querySelector(`[data-id="${id}"]`)?.textContent.trim() || fallback;

  const register = (shortcut) => {
    const keys = Array.isArray(shortcut.keys) ? shortcut.keys : [shortcut.keys];
    registered.push({ group: "global", when: () => true, ...shortcut, keys });
  };
  const pending = window.crmShortcutsPending || [];
  window.crmShortcuts = { register, list: () => registered.filter((shortcut) => shortcut.when()) };
  pending.forEach(register);

  const typingInField = (target) =>
    target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName));

  const renderOverlay = () => {
    const body = overlay.querySelector("#shortcuts-list");
    const then = overlay.dataset.then || "then";
    const groups = new Map();
    window.crmShortcuts.list().forEach((shortcut) => {
      if (!groups.has(shortcut.group)) groups.set(shortcut.group, []);
      groups.get(shortcut.group).push(shortcut);
    });
    body.replaceChildren();
    groups.forEach((shortcuts, group) => {
      const heading = document.createElement("h3");
      heading.className = "h6 mt-2";
      heading.textContent = overlay.dataset[`group${group.charAt(0).toUpperCase()}${group.slice(1)}`] || group;
      const list = document.createElement("dl");
      list.className = "row mb-2 small";
      shortcuts.forEach((shortcut) => {
        const keys = document.createElement("dt");
        keys.className = "col-4 fw-normal";
        shortcut.keys.forEach((key, index) => {
          if (index) keys.append(` ${then} `);
          const kbd = document.createElement("kbd");
          kbd.textContent = key;
          keys.append(kbd);
        });
        const description = document.createElement("dd");
        description.className = "col-8 mb-1";
        description.textContent = shortcut.description;
        list.append(keys, description);
      });
      body.append(heading, list);
    });
  };
  overlay?.addEventListener("show.bs.modal", renderOverlay);

  let typed = [];
  let typedAt = 0;
  document.addEventListener("keydown", (event) => {
    // Escape closes the overlay wherever the focus is (Bootstrap's own needs it inside).
    if (event.key === "Escape" && overlay?.classList.contains("show")) {
      window.bootstrap?.Modal.getOrCreateInstance(overlay).hide();
      return;
    }
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typingInField(event.target) || event.key.length !== 1) return;
    if (document.querySelector(".modal.show") && event.key !== "?") return;
    const now = Date.now();
    typed = now - typedAt > SEQUENCE_MS ? [event.key] : [...typed, event.key];
    typedAt = now;
    const active = window.crmShortcuts.list();
    const match = active.find(
      (shortcut) => shortcut.keys.length === typed.length && shortcut.keys.every((key, i) => key === typed[i]),
    );
    if (match && match.run) {
      event.preventDefault();
      typed = [];
      match.run(event);
      return;
    }
    const prefix = active.some(
      (shortcut) => shortcut.keys.length > typed.length && typed.every((key, i) => key === shortcut.keys[i]),
    );
    if (!prefix) typed = [];
  });

  // The built-in shortcuts: help, search (search.js handles "/"), going to the main pages.
  const go = (selector) => () => {
    const link = document.querySelector(selector);
    if (link) window.location.assign(link.href);
  };
  const linked = (selector) => () => Boolean(document.querySelector(selector));
  register({
    keys: "?",
    description: text("help", "Show this list of shortcuts"),
    run: () => overlay && window.bootstrap?.Modal.getOrCreateInstance(overlay).toggle(),
  });
  register({ keys: "/", description: text("search", "Search"), when: linked("#search-input") });
  const pages = [
    ["d", "go-dashboard", ".navbar-brand"],
    ["l", "go-log", '#main-nav a[href$="/interactions/log/"]'],
    ["c", "go-contacts", '#main-nav a[href$="/contacts/"]'],
    ["n", "go-new", '#main-nav a[href$="/interactions/new/"]'],
    ["s", "go-segments", '#main-nav a[href$="/interactions/segments/"]'],
  ];
  pages.forEach(([key, id, selector]) =>
    register({ keys: ["g", key], description: text(id, id), run: go(selector), when: linked(selector) }),
  );

  // The log: j/k move between the entries, x selects, o or Enter opens.
  const entries = () => [...document.querySelectorAll("#interaction-log [data-entry]")];
  const onLog = () => entries().length > 0;
  const current = () => entries().find((row) => row.classList.contains("shortcut-current"));
  const move = (step) => () => {
    const rows = entries();
    const index = rows.indexOf(current());
    const next = rows[Math.min(Math.max(index + step, 0), rows.length - 1)] || rows[0];
    rows.forEach((row) => row.classList.remove("shortcut-current"));
    next.classList.add("shortcut-current");
    next.setAttribute("tabindex", "-1");
    next.focus({ preventScroll: true });
    next.scrollIntoView({ block: "nearest" });
  };
  const select = () => {
    const box = current()?.querySelector('input[type="checkbox"]');
    if (box) box.click();
  };
  const open = () => {
    const link = current()?.querySelector("a[href]");
    if (link) window.location.assign(link.href);
  };
  register({ keys: "j", group: "log", description: text("log-next", "Next entry"), run: move(1), when: onLog });
  register({ keys: "k", group: "log", description: text("log-previous", "Previous entry"), run: move(-1), when: onLog });
  register({ keys: "x", group: "log", description: text("log-select", "Select"), run: select, when: onLog });
  register({ keys: "o", group: "log", description: text("log-open", "Open"), run: open, when: onLog });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target instanceof HTMLElement && event.target.classList.contains("shortcut-current")) {
      event.preventDefault();
      open();
    }
  });
})();
