import pytest

from connectors.twilio.signed_requests import (
    FieldRules,
    RequestRejectedError,
    empty_twiml,
    messaging_twiml,
    parse_form,
    read_signed_form,
    require_fields,
    signature_is_valid,
    signed_url,
)

from .sms_fakes import AUTH_TOKEN, PUBLIC_BASE_URL, WEBHOOK_PATH, form_body, inbound_params, sign

URL = PUBLIC_BASE_URL + WEBHOOK_PATH
FORM = "application/x-www-form-urlencoded"


def read(body: bytes, signature: str | None, content_type: str = FORM, url: str = URL,
         max_body_bytes: int = 64 * 1024) -> dict[str, str]:
    return dict(read_signed_form(body=body, content_type=content_type, signature=signature,
                                 url=url, auth_token=AUTH_TOKEN,
                                 max_body_bytes=max_body_bytes))


def test_parse_form_keeps_blank_fields_and_decodes() -> None:
    params = parse_form(b"Body=&From=%2B46701234567&FromCity=&Text=r%C3%A4ksm%C3%B6rg%C3%A5s+ok")
    assert dict(params) == {"Body": "", "From": "+46701234567", "FromCity": "",
                            "Text": "räksmörgås ok"}


def test_parse_form_keeps_repeated_fields_for_the_signature() -> None:
    params = parse_form(b"A=2&A=1&B=x")
    assert params["A"] == "2" and params.getall("A") == ["2", "1"]


@pytest.mark.parametrize("body", [b"Body", b"%ff=1", b"\xff\xfe=1", b"a=1&&b"])
def test_parse_form_rejects_what_is_not_a_form(body: bytes) -> None:
    with pytest.raises(RequestRejectedError) as rejected:
        parse_form(body)
    assert rejected.value.status == 400


def test_signed_url_uses_the_public_address_not_the_local_one() -> None:
    assert signed_url("https://example.se/assistant/", "/webhooks/twilio_sms/webhook") == \
        "https://example.se/assistant/webhooks/twilio_sms/webhook"
    assert signed_url("https://example.se", "/x", "a=1&b=2") == "https://example.se/x?a=1&b=2"


def test_a_genuine_request_passes() -> None:
    params = inbound_params("Hej")
    assert read(form_body(params), sign(params, URL)) == params


def test_an_empty_body_field_is_part_of_the_signature() -> None:
    # Twilio signs "Body" + "" for an empty message; dropping blanks would fail this.
    params = inbound_params("")
    assert read(form_body(params), sign(params, URL))["Body"] == ""
    without_blanks = {k: v for k, v in params.items() if v}
    assert not signature_is_valid(AUTH_TOKEN, URL, parse_form(form_body(params)),
                                  sign(without_blanks, URL))


@pytest.mark.parametrize("forge", ["other token", "other url", "changed body", "missing",
                                   "garbage"])
def test_a_forged_request_is_403(forge: str) -> None:
    params = inbound_params("Hej")
    signature: str | None = {
        "other token": sign(params, URL, token="not-the-token"),
        "other url": sign(params, "http://127.0.0.1:5005" + WEBHOOK_PATH),
        "changed body": sign({**params, "Body": "Hej då"}, URL),
        "missing": None,
        "garbage": "bm90IGEgc2lnbmF0dXJl",
    }[forge]
    with pytest.raises(RequestRejectedError) as rejected:
        read(form_body(params), signature)
    assert rejected.value.status == 403


def test_signature_with_the_port_twilio_may_add_is_accepted() -> None:
    params = inbound_params("Hej")
    with_port = "https://assistant.example.se:443" + WEBHOOK_PATH
    assert read(form_body(params), sign(params, with_port))["Body"] == "Hej"


def test_oversized_and_wrong_content_type_are_rejected_before_the_signature() -> None:
    params = inbound_params("x" * 200)
    with pytest.raises(RequestRejectedError) as too_large:
        read(form_body(params), sign(params, URL), max_body_bytes=100)
    assert too_large.value.status == 413
    with pytest.raises(RequestRejectedError) as wrong_type:
        read(b'{"Body": "Hej"}', "x", content_type="application/json")
    assert wrong_type.value.status == 415
    assert read(form_body(params), sign(params, URL),
                content_type=FORM + "; charset=utf-8")["Body"] == "x" * 200


def test_require_fields_names_what_is_missing_or_blank() -> None:
    rules = FieldRules(required=("MessageSid", "From", "Body"), blank_ok=("Body",))
    require_fields({"MessageSid": "SM1", "From": "+4670", "Body": ""}, rules)
    with pytest.raises(RequestRejectedError, match=r"missing field.*From") as missing:
        require_fields({"MessageSid": "SM1", "Body": "x"}, rules)
    assert missing.value.status == 400
    with pytest.raises(RequestRejectedError, match=r"blank field.*From"):
        require_fields({"MessageSid": "SM1", "From": " ", "Body": "x"}, rules)


def test_twiml_is_exact() -> None:
    assert empty_twiml() == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    assert messaging_twiml(["Hej & välkommen <3", "Svara 1 för Ja."]) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        "<Message>Hej &amp; välkommen &lt;3</Message>"
        "<Message>Svara 1 för Ja.</Message></Response>")
