"""From the text a user typed to ranked hits: the query language, the plan, BM25F ranking, results
and snippets."""
