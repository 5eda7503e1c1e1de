from django.apps import AppConfig


class InfusionsConfig(AppConfig):
    name = "infusions"
    verbose_name = "Chairs, sessions and administration records"

    def ready(self) -> None:
        # Receivers connect once the app registry is ready (Django's documented place for it).
        from infusions import receivers
        from infusions.administration.session_reasons import session_inputs
        from infusions.booking.last_cycle import last_cycles_of
        from infusions.booking.session_plan import live_sessions_of
        from orders.ports import (
            register_calendar_source,
            register_last_cycle_source,
            register_session_source,
        )
        from orders.signals import order_discontinued, order_superseded

        order_discontinued.connect(receivers.cancel_sessions_of_discontinued_order)
        # The sessions no approval covers are kept (infusions/schedule/uncovered_sessions.py):
        # judged again on every save of a session and every change of its order's coverage.
        from django.db.models.signals import post_save

        from authorizations.signals import coverage_stored
        from infusions.booking.models import InfusionSession

        post_save.connect(
            receivers.store_gap_of_saved_session,
            sender=InfusionSession,
            dispatch_uid="infusions.coverage_gap",
        )
        coverage_stored.connect(
            receivers.store_gaps_of_covered_orders, dispatch_uid="infusions.coverage_gaps"
        )
        order_superseded.connect(receivers.settle_sessions_of_superseded_order)
        # docs/clinical-rules.md 3.9: the patient's live sessions on the IVIg calendar.
        register_calendar_source(live_sessions_of)
        # docs/clinical-rules.md 3.8.2, 3.8.3, 3.9: a session's plan reads its prior reactions
        # (PRIOR_INFUSION_REACTION) and the reasons given on it (CREATININE_DUE).
        register_session_source(session_inputs)
        # docs/clinical-rules.md 3.8.2: HEMOLYSIS_SUSPECTED reads the last cycle given.
        register_last_cycle_source(last_cycles_of)
