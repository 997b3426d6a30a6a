"""What the BankID app shows the person with the order (``userVisibleData``): the agency and
the channel the identification was asked for on, so that a push from a conversation the person
did not start is recognisable and can be declined. Swedish, as the BankID app's own texts for
Swedish relying parties."""

from __future__ import annotations

from common.channels import ChannelKind

_CHANNEL_NAMES = {
    ChannelKind.VOICE: "ditt telefonsamtal",
    ChannelKind.SMS: "sms",
    ChannelKind.REST: "en digital tjänst",
    ChannelKind.WEB: "chatten på Mina sidor",
}


def visible_data(kind: ChannelKind | None) -> str:
    where = _CHANNEL_NAMES.get(kind, "en digital tjänst") if kind else "en digital tjänst"
    return (f"Försäkringskassan: legitimering för din fråga i {where}. "
            "Har du inte själv bett om detta, avbryt.")
