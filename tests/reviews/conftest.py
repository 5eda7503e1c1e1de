import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users made per test need no strong hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
