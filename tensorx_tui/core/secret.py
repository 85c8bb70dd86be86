"""A string that never prints: the API key."""

from __future__ import annotations


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value: only for the Authorization header."""
        return self._value

    def masked(self) -> str:
        """A hint safe to show: the last four characters at most, never the whole key."""
        v = self._value
        if len(v) < 12:
            return "****"
        return f"****{v[-4:]}"

    def __repr__(self) -> str:
        return f"Secret({self.masked()!r})"

    __str__ = masked

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        # Refuse pickling: it would write the key somewhere we do not control.
        raise TypeError("Secret cannot be pickled")
