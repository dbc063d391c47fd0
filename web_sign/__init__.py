"""Mobile pages for parties and the public verify page."""
