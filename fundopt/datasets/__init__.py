"""Reference data sets, generated reproducibly by code (see :mod:`.england_wales`)."""
