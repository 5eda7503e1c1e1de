"""Events of the authorizations app that the apps above it act on (docs/architecture.md: layers
run one way, so authorizations announces and never imports them).

- ``coverage_stored(order_ids)``: the coverage stored per cycle of these orders was written again
  (authorizations/stored_coverage.py), inside the changing transaction; infusions judges their
  scheduled sessions again (the dashboard's "sessions not covered").
"""

from django.dispatch import Signal

coverage_stored = Signal()
