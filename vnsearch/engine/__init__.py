"""Everything that writes or reads index files, and the one module where Whoosh begins (`adapter`)."""
