"""Events of the infusions app that the apps above it act on (docs/architecture.md: layers run
one way, so infusions announces and never imports them).

Sent inside the changing transaction: a receiver's change commits or rolls back with it.

- ``session_completed(session, by)``: a session's completion was recorded; interop pushes its
  ``MedicationAdministration`` to the EHR (docs/fhir.md, "Out").
"""

from django.dispatch import Signal

session_completed = Signal()
