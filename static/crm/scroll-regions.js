// A table that scrolls sideways inside its card (.table-responsive, on a phone) can be
// scrolled with the keyboard: it takes the focus (tabindex 0) while it overflows.
(() => {
  const mark = () =>
    document.querySelectorAll(".table-responsive").forEach((region) => {
      if (region.scrollWidth > region.clientWidth + 1) region.setAttribute("tabindex", "0");
      else if (region.getAttribute("tabindex") === "0") region.removeAttribute("tabindex");
    });
  mark();
  window.addEventListener("resize", mark);
  document.body.addEventListener("htmx:afterSettle", mark);
})();
