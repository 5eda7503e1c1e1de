"""Events of the orders app that the apps above it act on (docs/architecture.md: layers run one
way, so orders announces and never imports them).

``order_discontinued(order, by, reason)`` is sent inside the discontinuing transaction: a
receiver's change (infusions cancels the order's future sessions) commits or rolls back with it.
"""

from django.dispatch import Signal

order_discontinued = Signal()
