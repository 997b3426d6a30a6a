"""Twilio on this machine, for trying SMS and the phone without a Twilio account.

``make run`` makes a local account (``account``) and starts the outbox (``outbox``): it takes
the messages the channels send through Twilio's REST API and serves the browser phone.
``make sms`` and ``make call`` (``scripts/sms.py``, ``scripts/call.py``) post webhooks signed
exactly as Twilio signs them (``client``) and follow the TwiML that comes back (``twiml``).
Nothing here runs in production: only ``make run`` starts it, and only while no real Twilio
account is configured.
"""
