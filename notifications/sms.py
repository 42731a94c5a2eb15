"""SMS length: GSM-7 (160 / 153 per part) or UCS-2 (70 / 67), as carriers and Twilio count it."""
from __future__ import annotations

from dataclasses import dataclass

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    encoding: str             # "GSM-7" or "UCS-2"
    count: int
    units: int                # septets (GSM-7) or UTF-16 code units (UCS-2)
    first_non_gsm: str | None  # the character that forced UCS-2


def count_segments(text: str) -> Segments:
    offender = next((c for c in text if c not in GSM_BASIC and c not in GSM_EXTENDED), None)
    if offender is None:
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        return Segments("GSM-7", 1 if units <= 160 else -(-units // 153), units, None)
    units = len(text.encode("utf-16-le")) // 2
    return Segments("UCS-2", 1 if units <= 70 else -(-units // 67), units, offender)
