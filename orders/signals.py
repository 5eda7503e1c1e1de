"""Events of the orders app that the apps above it act on (docs/architecture.md: layers run one
way, so orders announces and never imports them).

Both are sent inside the changing transaction: a receiver's change commits or rolls back with
it, and a receiver's refusal (an ``OrderError``) refuses the change.

- ``order_discontinued(order, by, reason)``: infusions cancels the order's future sessions.
- ``order_superseded(order, successor, by)``: verifying ``successor`` supersedes ``order``, the
  version that was in force until then (docs/clinical-rules.md 4); infusions cancels
  ``order``'s sessions not started on or after ``successor``'s first day (their days are the new
  version's), keeps the earlier ones, tells the nurses and clinicians what moved, and refuses
  while a cycle of ``order`` is booked across that day.
- ``order_verified(order, by)``: an order version was verified; interop pushes its
  ``MedicationRequest`` to the EHR (docs/fhir.md, "Out").
- ``urgent_order_verified(order, by)``: an urgent order is verified (docs/clinical-rules.md
  3.10); authorizations opens its retrospective authorization at once.
"""

from django.dispatch import Signal

order_discontinued = Signal()
order_superseded = Signal()
order_verified = Signal()
urgent_order_verified = Signal()
