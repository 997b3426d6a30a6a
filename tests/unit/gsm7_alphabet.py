"""The GSM 03.38 (3GPP TS 23.038) alphabet, written out from the standard's tables.

Kept apart from bot/rendering.py on purpose: the tests check the SMS code against this copy,
so a character wrongly added to the code's set cannot make its own test pass.
"""

# The default alphabet, row by row as in the standard (0x00-0x7F); 0x1B is the escape to the
# extension table, not a character.
_BASIC_ROWS = (
    "@£$¥èéùìòÇ\nØø\rÅå",
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ",
    " !\"#¤%&'()*+,-./",
    "0123456789:;<=>?",
    "¡ABCDEFGHIJKLMNO",
    "PQRSTUVWXYZÄÖÑÜ§",
    "¿abcdefghijklmno",
    "pqrstuvwxyzäöñüà",
)
assert all(len(row) == 16 for row in _BASIC_ROWS)

GSM7_BASIC = frozenset("".join(_BASIC_ROWS)) - {"\x1b"}
# The extension table (each costs two septets): form feed, ^ { } \ [ ~ ] | and €.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7 = GSM7_BASIC | GSM7_EXTENSION
