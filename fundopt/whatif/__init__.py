"""Stage 6, what-if analysis: many scenarios of one problem, re-solved in place from
HiGHS's basis where they only change numbers (``sweep``, ``in_place``)."""
