"""Case backend for the Mina sidor assistant: persons, cases, payments and orders over HTTP."""
