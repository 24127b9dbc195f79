"""Loading the policy in force from a file (the only I/O around the pure gates/)."""

from functools import lru_cache
from pathlib import Path

from partnerflow.gates import MAX_DOCUMENT_BYTES, DocumentError, InvalidDocument, Policy, decode, parse_policy


def read_policy(path: Path) -> Policy:
    """Parse and validate the policy at `path`; raises InvalidDocument naming each problem."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidDocument([DocumentError(str(path), 1, "(document)", exc.strerror or str(exc))]) from None
    return parse_policy(str(path), decode(str(path), raw))


def policy_document(source: str, raw: bytes) -> Policy:
    """Parse and validate a policy given as bytes (an upload); raises InvalidDocument naming each problem."""
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise InvalidDocument([DocumentError(source, 1, "(document)", f"larger than {MAX_DOCUMENT_BYTES} bytes")])
    return parse_policy(source, decode(source, raw))


@lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int) -> Policy:
    return read_policy(Path(path))


def policy_in_force(path: Path) -> Policy:
    """The policy at `path`, parsed once per version of the file."""
    resolved = Path(path).resolve()
    try:
        mtime = resolved.stat().st_mtime_ns
    except OSError:
        return read_policy(resolved)
    return _cached(str(resolved), mtime)
