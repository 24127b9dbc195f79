"""Channel credentials at rest: webhook signing secrets and webhook, Slack and Teams URLs, sealed.

A URL of these channels is itself a credential (a Slack or Teams URL lets anyone post; a
webhook URL may carry a token), and so is a signing secret. In the `channel` table they are
`enc:v1:` and the base64url of AES-SIV (RFC 5297) under a 512-bit key derived from
PARTNERFLOW_SECRET_KEY with HKDF-SHA256 and the label below: links and seals share a setting,
never a key. AES-SIV is deterministic, so the same URL seals to the same text under one key:
the unique constraint on (person, kind, address) and the duplicate check keep working in SQL,
and a reader of the database learns only which rows hold equal values. A value without the
prefix was written in plain text by an earlier version: it is read as it is, and sealed by
`partnerflow init` or `partnerflow channel reseal` (engine/notifications/channels.py).

A changed secret key opens nothing sealed before: PARTNERFLOW_PREVIOUS_SECRET_KEY still opens
it until `partnerflow channel reseal` has sealed it again with the new key.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from partnerflow.engine.settings import Settings

PREFIX = "enc:v1:"
LABEL = b"partnerflow channel credentials v1"
SEALED_ADDRESSES = frozenset({"webhook", "slack", "teams"})  # the kinds whose address is a credential
LONGEST_SEALED_ADDRESS = 1500  # characters: sealed (~2,030), it still fits PostgreSQL's unique index (2,704 bytes)


class Unreadable(ValueError):
    """A sealed value that no key in hand opens: it was sealed with another secret key."""


@lru_cache(maxsize=8)
def cipher(secret_key: str) -> AESSIV:
    key = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=LABEL).derive(secret_key.encode())
    return AESSIV(key)


def is_sealed(stored: str | None) -> bool:
    return stored is not None and stored.startswith(PREFIX)


@dataclass(frozen=True)
class Keyring:
    """The secret key that seals, and the one before a rotation that still opens."""

    current: str = field(repr=False)
    previous: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, settings: Settings) -> Keyring:
        previous = settings.previous_secret_key
        return cls(settings.secret_key, previous.get_secret_value() if previous else None)

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.current,) if self.previous is None else (self.current, self.previous)

    def seal(self, plain: str) -> str:
        return PREFIX + base64.urlsafe_b64encode(cipher(self.current).encrypt(plain.encode(), None)).decode()

    def unseal(self, stored: str) -> str:
        """The plain value; a value without the prefix is returned as it is (written before sealing)."""
        if not is_sealed(stored):
            return stored
        try:
            sealed = base64.b64decode(stored.removeprefix(PREFIX), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            raise Unreadable("the sealed value is damaged") from None
        for key in self.keys:
            try:
                return cipher(key).decrypt(sealed, None).decode()
            except InvalidTag:
                continue
        raise Unreadable("sealed with another secret key")

    def sealed_with_current(self, stored: str) -> bool:
        return is_sealed(stored) and Keyring(self.current).opens(stored)

    def opens(self, stored: str) -> bool:
        try:
            self.unseal(stored)
        except Unreadable:
            return False
        return True

    def stored_forms(self, kind: str, address: str) -> set[str]:
        """Every way `address` may be stored now: in plain text (before sealing) or sealed with either key."""
        if kind not in SEALED_ADDRESSES:
            return {address}
        return {address} | {Keyring(key).seal(address) for key in self.keys}

    def address(self, kind: str, address: str) -> str:
        """How a channel's address is stored: sealed for the kinds whose address is a credential."""
        return self.seal(address) if kind in SEALED_ADDRESSES and address else address

    def secret(self, secret: str | None) -> str | None:
        return None if secret is None else self.seal(secret)
