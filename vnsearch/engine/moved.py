"""Where the classes older index folders name have moved: part of the on-disk format.

Whoosh pickles a few vnsearch classes into every index folder's table of contents (the tokenizer and
positions format in the schema, the codec in each segment), by module path. Folders written before
the engine had a folder of its own (schema version 3, vnsearch 0.1) name them by their old homes;
`adapter` reads those names through this table when `engine.upgrade` reads such a folder's documents.
Add a line here whenever such a class moves.
"""

CLASSES: dict[tuple[str, str], tuple[str, str]] = {
    ("vnsearch.analysis", "VietnameseTokenizer"): ("vnsearch.engine.adapter", "VietnameseTokenizer"),
    ("vnsearch.codec", "Positions"): ("vnsearch.engine.adapter", "Positions"),
    ("vnsearch.codec", "Codec"): ("vnsearch.engine.adapter", "Codec"),
}
