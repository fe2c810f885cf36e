"""django-tables2 tables of the interactions module's pages, one module per capability."""
