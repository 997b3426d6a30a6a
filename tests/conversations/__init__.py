"""Whole conversations: the corpus, its player and its rasa test stories."""
