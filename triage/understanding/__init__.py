"""What a message is: the taxonomy, the lexicon and the classifier (zh and en)."""
