// The staff portal's only script besides htmx (served as a file: the CSP allows no inline code).
// After htmx replaces part of the page, keyboard focus moves to the element marked for it.
document.addEventListener("htmx:afterSwap", (event) => {
  const focus = event.detail.target.querySelector("[data-autofocus]");
  if (focus) {
    focus.focus();
  }
});
