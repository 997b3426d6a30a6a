"""What every channel shares: the hand-over of a redacted message into Rasa and the turn
metrics."""
