"""Views of the interactions module, one module per page family. Thin: they translate the
request, call services and selectors, and render."""
