"""Custom actions served by the rasa_sdk action server (`rasa run actions --actions actions`)."""
