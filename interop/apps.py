from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "interop"
    verbose_name = "FHIR interoperability"

    def ready(self) -> None:
        # docs/fhir.md, "Out": verified and discontinued orders and completed sessions are
        # pushed to the EHR (when FHIR_PUSH_URL is set).
        from infusions.signals import session_completed
        from interop.outbound import receivers
        from orders.signals import order_discontinued, order_superseded, order_verified

        order_verified.connect(receivers.push_verified_order, dispatch_uid="interop.push.verified")
        order_discontinued.connect(
            receivers.push_discontinued_order, dispatch_uid="interop.push.discontinued"
        )
        order_superseded.connect(
            receivers.push_superseded_order, dispatch_uid="interop.push.superseded"
        )
        session_completed.connect(
            receivers.push_completed_session, dispatch_uid="interop.push.completed"
        )
