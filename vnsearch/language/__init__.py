"""Vietnamese text in, index terms out: normalisation, syllables, pyvi's words, the terms a text is
indexed and searched by, Telex/VNI keystrokes and abbreviations. Nothing here knows about index files."""
