"""The one place Whoosh is imported.

Whoosh 2.7.4 (its last release) has regex literals that newer Pythons flag with SyntaxWarning when
they compile its modules; every Whoosh module vnsearch uses is imported here with that silenced.
"""

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    from whoosh import fields, index, query, scoring, writing
    from whoosh.analysis import Token, Tokenizer
    from whoosh.filedb.filestore import FileStorage

__all__ = ["FileStorage", "Token", "Tokenizer", "fields", "index", "query", "scoring", "writing"]
