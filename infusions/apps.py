from django.apps import AppConfig


class InfusionsConfig(AppConfig):
    name = "infusions"
    verbose_name = "Chairs, sessions and administration records"

    def ready(self) -> None:
        # Receivers connect once the app registry is ready (Django's documented place for it).
        from orders.signals import order_discontinued

        from . import receivers

        order_discontinued.connect(receivers.cancel_sessions_of_discontinued_order)
