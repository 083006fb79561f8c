"""Campaign copy: the Babel catalogs, the message families, locale data and the rendered assets."""
