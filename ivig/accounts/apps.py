from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate, pre_save


class AccountsConfig(AppConfig):
    name = "ivig.accounts"
    label = "accounts"
    verbose_name = "Users and roles"

    def ready(self) -> None:
        # Load the Celery app so that @shared_task binds to it in every process.
        import ivig.celery  # noqa: F401

        from .middleware import start_session_clocks
        from .roles import grant_role_permissions_after_migrate

        post_migrate.connect(grant_role_permissions_after_migrate, dispatch_uid="ivig-roles")
        user_logged_in.connect(start_session_clocks, dispatch_uid="ivig-session-clocks")
        from .models import User
        from .tokens import revoke_tokens_on_change

        pre_save.connect(revoke_tokens_on_change, sender=User, dispatch_uid="ivig-token-revoke")
