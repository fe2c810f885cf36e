// "Select all" on a segment's lines: checks every line checkbox of the page.
document.addEventListener("change", (event) => {
  if (!event.target.matches("[data-select-all]")) return;
  document.querySelectorAll('input[name="line"]').forEach((box) => { box.checked = event.target.checked; });
});
