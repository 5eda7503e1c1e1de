from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person who signs in. Roles are Django groups (see ``roles.Role``)."""

    class Meta:
        db_table = "accounts_user"

    def __str__(self) -> str:
        return self.get_full_name() or self.username
