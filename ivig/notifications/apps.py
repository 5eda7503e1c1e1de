from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ivig.notifications"
    label = "notifications"
    verbose_name = "Notifications and reminders"
