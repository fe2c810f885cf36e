// The color mode (Bootstrap 5.3's data-bs-theme), set before the page is painted: the
// choice stored in this browser ("light", "dark"), else the system's (prefers-color-scheme).
// The user menu's buttons (theme-menu.js) change and store the choice.
(() => {
  const KEY = "crm.theme";
  let stored = null;
  try {
    stored = window.localStorage.getItem(KEY);
  } catch (error) {
    // Storage refused: follow the system.
  }
  const system = () => (window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  const apply = () => {
    const chosen = stored === "light" || stored === "dark" ? stored : system();
    document.documentElement.setAttribute("data-bs-theme", chosen);
  };
  apply();
  window.crmTheme = {
    KEY,
    stored: () => stored || "auto",
    choose(value) {
      stored = value === "light" || value === "dark" ? value : null;
      try {
        if (stored) window.localStorage.setItem(KEY, stored);
        else window.localStorage.removeItem(KEY);
      } catch (error) {
        // Not stored: the choice lasts for this page.
      }
      apply();
    },
  };
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    if (!stored) apply();
  });
})();
