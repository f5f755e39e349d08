"""Stage 7, reports for people: charts of a plan or a sweep (``plots``). No Excel here
(that is :mod:`fundopt.io`)."""
