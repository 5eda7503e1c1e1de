import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users made per test need no strong hash; PBKDF2 made most of this suite's run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
