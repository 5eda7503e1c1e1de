from django.apps import AppConfig


class AuthorizationsConfig(AppConfig):
    name = "authorizations"
    verbose_name = "Insurance authorizations"

    def ready(self) -> None:
        # The orders layer asks "is this order covered?" through its coverage port.
        from orders.ports import register_coverage_judge

        from .coverage_rules import orders_are_covered

        register_coverage_judge(orders_are_covered)

        # docs/clinical-rules.md 3.10: an urgent order's authorization is opened at verification.
        from orders.signals import urgent_order_verified

        from .receivers import open_retrospective_authorization

        urgent_order_verified.connect(
            open_retrospective_authorization, dispatch_uid="authorizations.retrospective"
        )

        # Coverage stored per cycle follows every save of an order's plan or of an approval
        # (authorizations/stored_coverage.py): model saves, so no path that saves is missed.
        from django.db.models.signals import post_save

        from orders.models import Order

        from .models import Authorization
        from .receivers import store_coverage_of_saved_authorization, store_coverage_of_saved_order

        post_save.connect(
            store_coverage_of_saved_order, sender=Order, dispatch_uid="authorizations.coverage"
        )
        post_save.connect(
            store_coverage_of_saved_authorization,
            sender=Authorization,
            dispatch_uid="authorizations.coverage",
        )
