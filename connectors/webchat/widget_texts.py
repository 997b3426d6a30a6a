"""The widget's own words (labels, status and error texts) and the demo page's.

Swedish is the source, marked for extraction; other languages come from the Babel catalogs
like every answer, so a translator edits one .po file and a new language needs no code.
The widget gets them from ``config.json`` (see static.py).
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

from bot.i18n import N_, Catalogs

WIDGET_TEXTS: dict[str, str] = {
    "launcher": N_("Chatta med oss"),
    "title": N_("Digital assistent"),
    "region_label": N_("Chatt med Försäkringskassans digitala assistent"),
    "close": N_("Stäng chatten"),
    "language_label": N_("Språk"),
    "log_label": N_("Konversation"),
    "input_label": N_("Skriv ditt meddelande"),
    "placeholder": N_("Skriv din fråga här"),
    "send": N_("Skicka"),
    "handoff": N_("Prata med en person"),
    "typing": N_("Assistenten skriver …"),
    "you": N_("Du"),
    "assistant": N_("Assistenten"),
    # A person at the agent desk who has taken over the chat.
    "agent": N_("Handläggare"),
    "choices_label": N_("Svarsalternativ"),
    "new_window": N_("(öppnas i nytt fönster)"),
    "redacted": N_("(personnummer dolt)"),
    "chars_left": N_("Tecken kvar: {count}"),
    "logged_in": N_("Du är inloggad. Du kan fråga om dina ärenden och utbetalningar."),
    "logged_out": N_("Du är inte inloggad. Logga in på Mina sidor för att fråga om ditt "
                     "ärende."),
    "reconnecting": N_("Anslutningen bröts. Vi försöker ansluta igen …"),
    "reconnected": N_("Ansluten igen."),
    "error_rate_limited": N_("Du skickar meddelanden för snabbt. Vänta en stund och försök "
                             "igen."),
    "error_message_too_long": N_("Meddelandet är för långt. Korta det och försök igen."),
    "error_auth": N_("Vi kunde inte bekräfta din inloggning. Ladda om sidan och försök igen."),
    "error_session_expired": N_("Din inloggning har gått ut, så du chattar nu utan att vara "
                                "inloggad. Logga in på Mina sidor igen för att fråga om ditt "
                                "ärende."),
    "error_generic": N_("Något gick fel. Försök igen om en stund."),
}

DEMO_TEXTS: dict[str, str] = {
    "page_title": N_("Mina sidor (demo)"),
    "skip_link": N_("Hoppa till innehållet"),
    "demo_notice": N_("Det här är en demosida med påhittade personer. Den är inte "
                      "Försäkringskassans riktiga webbplats."),
    "heading": N_("Mina sidor"),
    "intro_logged_out": N_("Logga in för att se dina ärenden, utbetalningar och meddelanden."),
    "intro_logged_in": N_("Välkommen, {name}."),
    "login_heading": N_("Testinloggning"),
    "login_person": N_("Välj en testperson"),
    "login_button": N_("Logga in"),
    "logout_button": N_("Logga ut"),
    "login_off": N_("Testinloggningen är avstängd på den här servern."),
    "services_heading": N_("Det här kan du göra på Mina sidor"),
    "service_apply": N_("Ansöka om ersättningar och anmäla ändringar"),
    "service_follow": N_("Följa ditt ärende och se när beslutet kommer"),
    "service_payments": N_("Se dina utbetalningar"),
    "service_details": N_("Ändra dina uppgifter och kontonummer"),
    "chat_hint": N_("Har du frågor? Chatta med vår digitala assistent längst ned till "
                    "höger."),
    "language_link": N_("In English"),
}


def language_name(code: str) -> str:
    """The language's own name ("svenska" → "Svenska"), for the language switch."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):
        name = code
    return name[:1].upper() + name[1:]


def translated(texts: dict[str, str], catalogs: Catalogs) -> dict[str, dict[str, str]]:
    """Every language the catalogs have: key → text."""
    return {language: {key: catalogs.translate(language, None, text)
                       for key, text in texts.items()}
            for language in sorted(catalogs.languages())}
