"""Identification on phone and SMS: an identity-provider interface and its implementations
(a local BankID simulator, the default, and the BankID RP API v6 adapter)."""
