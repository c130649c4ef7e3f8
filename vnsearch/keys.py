"""The HTTP service's keys, one per scope, read from the environment or a keys file and checked once.

A search key (optional) makes reads private, a write key allows adding, replacing and deleting documents,
an admin key taking backups; each key grants the scopes before it too (admin ⊇ write ⊇ search). Keys are
compared in constant time (`same_key`) and never appear in an error message or a repr.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from itertools import combinations
from pathlib import Path

from vnsearch.errors import VnsearchError

SCOPES = ("search", "write", "admin")  # lowest first: a key grants its scope and those before it
VARIABLES = {"search": "VNSEARCH_SEARCH_KEY", "write": "VNSEARCH_WRITE_KEY", "admin": "VNSEARCH_ADMIN_KEY"}
ALIAS = "VNSEARCH_API_KEY"  # the write key's name from before scopes
FILE_VARIABLE = "VNSEARCH_KEYS_FILE"
MIN_KEY_CHARS = 16
MAX_KEY_CHARS = 1024
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]*")  # what an Authorization header carries as it is
_MAKE_ONE = "python -c 'import secrets; print(secrets.token_urlsafe(32))' makes one"


class KeysError(VnsearchError, ValueError):
    """Keys that cannot be used; the message says where each came from (variable, or file and line), never the key."""


def same_key(sent: str, key: str) -> bool:
    """Whether `sent` is `key`, in a time that does not depend on how much of it matches."""
    return hmac.compare_digest(sent.encode("utf-8", "replace"), key.encode("utf-8"))


class Keys:
    """The key of each scope, or None where a scope has none of its own."""

    __slots__ = ("_keys",)

    def __init__(
        self,
        search: str | None = None,
        write: str | None = None,
        admin: str | None = None,
        *,
        where: Mapping[str, str] | None = None,
    ) -> None:
        """Check the keys: visible ASCII, MIN_KEY_CHARS to MAX_KEY_CHARS, each scope its own. `where` names
        each key's source (a variable, a file and line) for the errors."""
        self._keys = {"search": search, "write": write, "admin": admin}
        named = {scope: (where or {}).get(scope, f"the {scope} key") for scope in SCOPES}
        for scope, key in self._keys.items():
            if key is not None:
                _check(key, named[scope])
        for lower, higher in combinations(SCOPES, 2):
            first, second = self._keys[lower], self._keys[higher]
            if first is not None and second is not None and same_key(first, second):
                raise KeysError(f"{named[lower]} and {named[higher]} hold the same key; give each scope its own")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Keys:
        """The keys in VNSEARCH_SEARCH_KEY, VNSEARCH_WRITE_KEY (or its old name VNSEARCH_API_KEY) and
        VNSEARCH_ADMIN_KEY, or else in the file VNSEARCH_KEYS_FILE names (not both); empty variables are unset."""
        given = {scope: environ.get(variable) or None for scope, variable in VARIABLES.items()}
        where = dict(VARIABLES)
        if alias := environ.get(ALIAS):
            if given["write"] is not None and not same_key(alias, given["write"]):
                raise KeysError(
                    f"{ALIAS} (the old name of {VARIABLES['write']}) and {VARIABLES['write']} differ; set one"
                )
            given["write"], where["write"] = alias, ALIAS
        if file := environ.get(FILE_VARIABLE):
            if set_too := [where[scope] for scope, key in given.items() if key is not None]:
                raise KeysError(
                    f"keys come from a keys file ({file}) or from the environment, not both: unset {', '.join(set_too)}"
                )
            return cls.from_file(file)
        return cls(**given, where=where)

    @classmethod
    def from_file(cls, path: str | Path) -> Keys:
        """The keys in a file of `scope=key` lines (search, write, admin; each at most once, at least one);
        blank lines and lines starting with # are skipped."""
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise KeysError(f"{path}: cannot be read as a keys file ({error})") from None
        found: dict[str, str] = {}
        where: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            scope, equals, key = (part.strip() for part in line.partition("="))
            at = f"{path}:{number}"
            # The line is never quoted back: it may hold a key.
            if not equals or scope not in SCOPES:
                raise KeysError(f"{at}: expected scope=key, the scope one of {', '.join(SCOPES)}")
            if scope in found:
                raise KeysError(f"{at}: a second {scope} key (the first is at {where[scope]})")
            found[scope], where[scope] = key, at
        if not found:
            raise KeysError(f"{path}: holds no keys; write one scope=key a line ({', '.join(SCOPES)})")
        return cls(**found, where=where)

    def own(self, scope: str) -> bool:
        """Whether `scope` has a key of its own."""
        return self._keys[scope] is not None

    def is_open(self, scope: str) -> bool:
        """Whether requests of `scope` need no key: reads, unless a search key is set."""
        return scope == "search" and not self.own("search")

    def accepts(self, scope: str) -> bool:
        """Whether some key grants `scope` (its own or a higher scope's): else no request of it is allowed."""
        return any(self.own(higher) for higher in SCOPES[SCOPES.index(scope) :])

    def scope_of(self, sent: str) -> str | None:
        """The highest scope the key `sent` grants, or None when it is none of these keys."""
        granted = None
        for scope, key in self._keys.items():  # every key compared, matching or not
            if key is not None and same_key(sent, key):
                granted = scope
        return granted

    def __repr__(self) -> str:
        return "Keys(" + ", ".join(f"{scope}={'set' if self.own(scope) else None}" for scope in SCOPES) + ")"


def grants(granted: str, scope: str) -> bool:
    """Whether a key of scope `granted` allows a request that needs `scope`."""
    return SCOPES.index(granted) >= SCOPES.index(scope)


def _check(key: str, where: str) -> None:
    """Raise KeysError, naming `where`, when `key` is too short, too long or holds what a header cannot carry."""
    if not _VISIBLE_ASCII.fullmatch(key):
        raise KeysError(f"{where}: a key is visible ASCII characters only (no spaces); {_MAKE_ONE}")
    if not MIN_KEY_CHARS <= len(key) <= MAX_KEY_CHARS:
        raise KeysError(
            f"{where}: the key has {len(key)} characters; keys have {MIN_KEY_CHARS} to {MAX_KEY_CHARS}; {_MAKE_ONE}"
        )
