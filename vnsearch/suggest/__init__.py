"""What the index's own text suggests: its vocabulary, completions, typo variants and diacritics
restored ("did you mean")."""
