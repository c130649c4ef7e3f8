"""The exceptions vnsearch raises; catch `VnsearchError` to catch them all."""


class VnsearchError(Exception):
    """Base class of every error vnsearch raises on purpose."""


class IndexNotFound(VnsearchError):
    """No index exists at the given path."""


class IndexExists(VnsearchError):
    """`Index.create` was asked to write over an existing index without `overwrite=True`."""


class IndexLocked(VnsearchError):
    """Another writer holds the index's write lock."""


class QueryError(VnsearchError):
    """The query cannot be searched; the message says why."""


class DocumentError(VnsearchError):
    """A document is malformed; the message names the field (and the record, when known)."""


class StorageError(VnsearchError, OSError):
    """The index folder could not be written (disk full, read-only, no permission); the last commit is intact.

    It is also an OSError, with the original `errno`, for callers that handle file-system errors."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()  # the message alone, without OSError's "[Errno n]"


class DocumentNotFound(VnsearchError, KeyError):
    """No document has the id given (`Index.explain`, `Index.more_like_this`); also a KeyError."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else super().__str__()  # the message, without KeyError's quotes
