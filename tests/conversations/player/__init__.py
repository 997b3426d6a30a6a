"""The conversation player: plays the corpus (tests/conversations/corpus/*.yml) on every
channel it applies to, through the real processes, and checks each turn's response names
(read from the tracker store) and facts (in the channel's own text)."""
