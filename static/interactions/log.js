// "Select all" on the interaction log: checks every entry checkbox of the page.
document.addEventListener("change", (event) => {
  if (!event.target.matches("[data-select-all]")) return;
  document.querySelectorAll('input[name="entry"]').forEach((box) => { box.checked = event.target.checked; });
});

// Forms that destroy something ask first (a saved view's deletion).
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
