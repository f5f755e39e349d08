"""One module per constraint family; each ``add_<family>(builder)`` is a no-op without data."""
