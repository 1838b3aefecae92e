"""Forms for the browser pages: they parse and check input; services decide and write."""
