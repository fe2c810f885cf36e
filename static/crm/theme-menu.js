// The user menu's color mode buttons (data-theme-value: auto, light, dark): the chosen one
// is marked pressed; a click applies and stores it (theme.js).
(() => {
  const buttons = document.querySelectorAll("[data-theme-value]");
  if (!buttons.length || !window.crmTheme) return;
  const mark = () => {
    const current = window.crmTheme.stored();
    buttons.forEach((button) => {
      const pressed = button.dataset.themeValue === current;
      button.classList.toggle("active", pressed);
      button.setAttribute("aria-pressed", String(pressed));
    });
  };
  buttons.forEach((button) =>
    button.addEventListener("click", () => {
      window.crmTheme.choose(button.dataset.themeValue);
      mark();
    }),
  );
  mark();
})();
