# The same email and password-hashing fixtures as the authorization tests.
from tests.authorizations.conftest import fast_password_hashing, locmem_email  # noqa: F401
