"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile).

Only hashes are ever stored. `needs_rehash` tells when a stored hash was made with weaker
parameters than today's, so a successful sign-in can upgrade it.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # bounds the hashing work one request can ask for


class Passwords:
    """Hash and verify passwords; one per app (tests pass cheaper parameters)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when `password` matches; False for a wrong password or an unusable hash."""
        if not stored_hash or len(password) > MAX_LENGTH:
            return False
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def burn(self, password: str) -> None:
        """Spend the time a verification would, so an unknown username is not faster to refuse."""
        self._hasher.hash(password[:MAX_LENGTH])
