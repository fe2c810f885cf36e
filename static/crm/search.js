// The "Tell me" palette: the navigation bar's search box lists the pages, actions and
// records that match as the user types (crm/search; JSON from data-suggest-url).
// Ctrl+K / Cmd+K, or "/" where no field has focus, puts the cursor in it; the arrows choose,
// Enter opens, Esc closes. Choices are remembered in this browser (localStorage) and come
// first. Without JavaScript the box is a plain form: /search/?q= lists the same results.
(() => {
  const form = document.getElementById("search-form");
  const input = form && form.querySelector("#search-input");
  const list = form && form.querySelector("#search-results");
  if (!form || !input || !list) return;

  const RECENT_KEY = "crm.search.recent";
  const RECENT_MAX = 8;
  const DELAY_MS = 120;
  let options = []; // the results shown, each {title, detail, url, group, kind}
  let active = -1;
  let timer = null;
  let controller = null;
  let shownQuery = null;

  const recent = () => {
    try {
      const stored = JSON.parse(window.localStorage.getItem(RECENT_KEY) || "[]");
      return Array.isArray(stored) ? stored.filter((item) => item && typeof item.url === "string") : [];
    } catch (error) {
      return [];
    }
  };

  const remember = (choice) => {
    if (!choice.url || choice.kind === "all") return;
    const kept = recent().filter((item) => item.url !== choice.url);
    kept.unshift({ title: choice.title, detail: choice.detail || "", url: choice.url, kind: choice.kind });
    try {
      window.localStorage.setItem(RECENT_KEY, JSON.stringify(kept.slice(0, RECENT_MAX)));
    } catch (error) {
      // Storage full or refused: nothing to remember then.
    }
  };

  const isOpen = () => list.classList.contains("show");

  const open = () => {
    list.classList.add("show");
    input.setAttribute("aria-expanded", "true");
  };

  const close = () => {
    list.classList.remove("show");
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };

  const setActive = (index) => {
    const elements = list.querySelectorAll("[role=option]");
    if (!elements.length) return;
    active = (index + elements.length) % elements.length;
    elements.forEach((element, position) => {
      const selected = position === active;
      element.classList.toggle("active", selected);
      element.setAttribute("aria-selected", selected ? "true" : "false");
      if (selected) {
        input.setAttribute("aria-activedescendant", element.id);
        element.scrollIntoView({ block: "nearest" });
      }
    });
  };

  const go = (choice) => {
    remember(choice);
    close();
    window.location.assign(choice.url);
  };

  const safeUrl = (url) => typeof url === "string" && url.startsWith("/") && !url.startsWith("//");

  const render = (results, query) => {
    list.replaceChildren();
    options = results.filter((result) => safeUrl(result.url));
    if (query) {
      options.push({
        kind: "all",
        group: "",
        title: form.dataset.allLabel.replace("%s", query),
        detail: "",
        url: `${form.action}?${new URLSearchParams({ q: query })}`,
      });
    }
    if (!options.length) {
      close();
      return;
    }
    let group = null;
    options.forEach((option, index) => {
      if (option.group && option.group !== group) {
        const header = document.createElement("h6");
        header.className = "dropdown-header";
        header.setAttribute("role", "presentation");
        header.textContent = option.group;
        list.append(header);
      }
      group = option.group;
      if (option.kind === "all") {
        const divider = document.createElement("hr");
        divider.className = "dropdown-divider";
        divider.setAttribute("role", "presentation");
        list.append(divider);
      }
      const link = document.createElement("a");
      link.className = "dropdown-item search-result";
      link.id = `search-result-${index}`;
      link.href = option.url;
      link.dataset.kind = option.kind;
      link.setAttribute("role", "option");
      link.setAttribute("aria-selected", "false");
      link.tabIndex = -1;
      const title = document.createElement("span");
      title.className = "search-result-title";
      title.textContent = option.title;
      link.append(title);
      if (option.kind === "action") {
        const badge = document.createElement("span");
        badge.className = "badge text-bg-secondary ms-1";
        badge.textContent = form.dataset.actionLabel;
        link.append(badge);
      }
      if (option.detail) {
        const detail = document.createElement("small");
        detail.className = "d-block text-body-secondary search-result-detail";
        detail.textContent = option.detail;
        link.append(detail);
      }
      // Keep the focus in the box while clicking; the click itself opens the link.
      link.addEventListener("mousedown", (event) => event.preventDefault());
      link.addEventListener("click", () => remember(option));
      list.append(link);
    });
    open();
    setActive(0);
  };

  // Recent choices first: those among the results move to the top, under "Recent".
  const withRecentFirst = (results) => {
    const order = recent().map((item) => item.url);
    const label = form.dataset.recentLabel;
    const known = results
      .filter((result) => order.includes(result.url))
      .sort((a, b) => order.indexOf(a.url) - order.indexOf(b.url))
      .map((result) => ({ ...result, group: label }));
    return [...known, ...results.filter((result) => !order.includes(result.url))];
  };

  const showRecent = () => {
    const label = form.dataset.recentLabel;
    shownQuery = "";
    render(recent().map((item) => ({ ...item, group: label })), "");
  };

  const fetchResults = (query) => {
    if (controller) controller.abort();
    controller = new AbortController();
    const url = `${form.dataset.suggestUrl}?${new URLSearchParams({ q: query })}`;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", signal: controller.signal })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
      .then((data) => {
        if (input.value.trim() !== query) return; // typed on meanwhile
        shownQuery = query;
        render(withRecentFirst(data.results || []), query);
      })
      .catch(() => {});
  };

  const update = () => {
    const query = input.value.trim();
    window.clearTimeout(timer);
    if (!query) {
      showRecent();
      return;
    }
    if (query === shownQuery && isOpen()) return;
    timer = window.setTimeout(() => fetchResults(query), DELAY_MS);
  };

  const focusBox = () => {
    const collapse = document.getElementById("main-nav");
    if (collapse && !input.offsetParent && window.bootstrap) {
      window.bootstrap.Collapse.getOrCreateInstance(collapse, { toggle: false }).show();
    }
    input.focus();
    input.select();
    update();
  };

  input.addEventListener("input", update);
  input.addEventListener("focus", () => {
    if (!isOpen()) update();
  });
  form.addEventListener("focusout", (event) => {
    if (!form.contains(event.relatedTarget)) close();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!isOpen()) {
        update();
        return;
      }
      setActive(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter") {
      const query = input.value.trim();
      if (isOpen() && active >= 0 && options[active] && shownQuery === query) {
        event.preventDefault();
        go(options[active]);
      } else if (!query) {
        event.preventDefault();
      }
      // Otherwise the form is submitted: the results page.
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (isOpen()) {
        close();
      } else {
        input.blur();
      }
    }
  });

  const typingInField = (target) =>
    target instanceof HTMLElement &&
    (target.isContentEditable || target.closest("input, textarea, select, [contenteditable]") !== null);

  document.addEventListener("keydown", (event) => {
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && key === "k") {
      event.preventDefault();
      focusBox();
    } else if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !typingInField(event.target)) {
      event.preventDefault();
      focusBox();
    }
  });

  // An action that opens a part of a page (New segment: #segment-create) opens the
  // collapsed <details> it is in.
  const openTarget = () => {
    if (window.location.hash.length < 2) return;
    let target = null;
    try {
      target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    } catch (error) {
      return;
    }
    const details = target && target.closest("details");
    if (details && !details.open) {
      details.open = true;
      target.scrollIntoView({ block: "start" });
    }
  };
  openTarget();
  window.addEventListener("hashchange", openTarget);
})();
