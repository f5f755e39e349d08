"""Stage 4, the reasons: why the rules cannot all hold (closed-form ``prechecks``, the
conflicting rules and the cheapest way out in ``diagnosis``), and the yardstick a plan is
set against (``todays_method``: the needs formula with a uniform floor, stream by stream;
``settlement``: the same rules on the Police Grant Report's components)."""
