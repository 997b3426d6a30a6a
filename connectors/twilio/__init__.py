"""Twilio's side of the SMS and phone channels: signed webhook requests."""
