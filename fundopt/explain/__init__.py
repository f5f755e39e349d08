"""Stage 4, the reasons: why the rules cannot all hold (closed-form ``prechecks``, the
conflicting rules and the cheapest way out in ``diagnosis``); what set each number of a
solved LP (``reasons``), how far each could move among equally good plans (``bands``, over
the optimal face of ``face``, with ``dense_rows`` and ``basis_check``) and over what range
each shadow price holds (``ranging``); and the yardstick a plan is set against
(``todays_method``: the needs formula with a uniform floor, stream by stream;
``settlement``: the same rules on the Police Grant Report's components)."""
