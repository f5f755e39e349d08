"""Stage 3, the solver: the LP handed to HiGHS (``highs``), run with its outcome turned into
a clear error where it is not a plan (``run``), and its amounts rounded to whole pounds
(``rounding``)."""
