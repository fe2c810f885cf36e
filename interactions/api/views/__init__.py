"""The API's views, one module per capability, as the pages' (interactions/views/)."""
