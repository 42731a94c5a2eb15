"""Message templates: every default renders, says what matters, escapes, fails loudly, stays in limits."""
from __future__ import annotations

import copy
import datetime as dt
import re
from decimal import Decimal
from html import unescape
from typing import Any

import pytest

from notifications.rendering import (
    TemplateError,
    find_template,
    locale_chain,
    parse,
    render,
    render_email,
    render_sms,
)
from notifications.sms import count_segments

MESSAGE_TYPES = ("order_confirmation", "shipping_confirmation", "shipping_update", "out_for_delivery",
                 "delivered", "delivery_problem", "delayed", "order_cancelled", "refund_issued")
SHIPMENT_TYPES = {"shipping_confirmation", "shipping_update", "out_for_delivery", "delivered",
                  "delivery_problem", "delayed"}
TRACKING_STATUS = {"out_for_delivery": "out_for_delivery", "delivered": "delivered",
                   "delivery_problem": "attempted_delivery", "delayed": "delayed"}

EN = ["en"]
SHOP = "Acme Outfitters"
ORDER = "#1001"
TRACKING_URL = "https://www.ups.com/track?tracknum=1Z999AA10123456784&loc=en"
TRACKING_NUMBER = "1Z999AA10123456784"
UTC = dt.timezone.utc

assert len(TRACKING_URL) == 60


# --- contexts (templates/messages/CONTEXT.md) ------------------------------------------------------

def full_context(message_type: str) -> dict[str, Any]:
    """Every documented variable filled with a realistic value."""
    line_items = [
        {"title": "Trail Runner Shoe", "variant_title": "Blue / 42", "quantity": 1, "price": Decimal("129.00"),
         "sku": "TRS-BL-42"},
        {"title": "Merino Hiking Socks", "variant_title": "M", "quantity": 2, "price": Decimal("18.50"),
         "sku": "MHS-M"},
    ]
    shipment_items = [{"title": "Trail Runner Shoe", "variant_title": "Blue / 42", "quantity": 1}]
    context: dict[str, Any] = {
        "message_type": message_type,
        "shop": {"name": SHOP, "url": "https://acme.example", "email": "orders@acme.example",
                 "ships_within_days": 2},
        "customer": {"first_name": "Jane", "last_name": "Doe", "name": "Jane Doe"},
        "order": {
            "name": ORDER, "number": 1001,
            "created_at": dt.datetime(2024, 3, 10, 14, 5, tzinfo=UTC),
            "status_url": "https://acme.example/orders/1001/status",
            "currency": "USD",
            "subtotal": Decimal("166.00"), "shipping": Decimal("9.95"), "tax": Decimal("14.28"),
            "total": Decimal("190.23"),
            "line_items": line_items, "item_count": 3,
            "requires_shipping": True, "paid": True,
        },
        "shipment": None, "tracking": None, "refund": None, "cancellation": None, "feedback": None,
        "help": {"shipping": "https://acme.example/shipping", "returns": "https://acme.example/returns",
                 "contact": "https://acme.example/contact", "track_order": "https://acme.example/track",
                 "contact_email": "help@acme.example"},
        "_currency": "USD", "_locale": "en", "_timezone": "America/New_York",
    }
    if message_type in SHIPMENT_TYPES:
        context["shipment"] = {
            "name": "#1001.1", "tracking_company": "UPS", "tracking_number": TRACKING_NUMBER,
            "tracking_url": TRACKING_URL, "tracking_numbers": [TRACKING_NUMBER], "tracking_urls": [TRACKING_URL],
            "line_items": shipment_items, "item_count": 1, "is_partial": False,
            "estimated_delivery_at": dt.datetime(2024, 3, 14, 20, 0, tzinfo=UTC),
        }
    if message_type in TRACKING_STATUS:
        context["tracking"] = {"status": TRACKING_STATUS[message_type],
                               "message": "Package is on the vehicle for delivery",
                               "happened_at": dt.datetime(2024, 3, 13, 12, 30, tzinfo=UTC),
                               "city": "Brooklyn", "country": "US"}
    if message_type == "delivered":
        context["feedback"] = {"good_url": "https://aftercare.example/f/abc123/good",
                               "bad_url": "https://aftercare.example/f/abc123/bad"}
    if message_type == "refund_issued":
        context["refund"] = {"amount": Decimal("85.00"), "currency": "USD", "note": None,
                             "line_items": [{"title": "Trail Runner Shoe", "quantity": 1}], "item_count": 1,
                             "processed_at": dt.datetime(2024, 3, 20, 9, 0, tzinfo=UTC),
                             "payment_days": "5\u201310"}
    if message_type == "order_cancelled":
        context["cancellation"] = {"reason": "customer", "refund_expected": True}
    return context


def sparse_context(message_type: str) -> dict[str, Any]:
    """Only what CONTEXT.md marks 'always'; everything optional is None (or empty)."""
    context: dict[str, Any] = {
        "message_type": message_type,
        "shop": {"name": SHOP, "url": None, "email": None, "ships_within_days": 0},
        "customer": {"first_name": None, "last_name": None, "name": None},
        "order": {
            "name": ORDER, "number": None, "created_at": None, "status_url": None, "currency": "USD",
            "subtotal": None, "shipping": None, "tax": None, "total": None,
            "line_items": [{"title": "Trail Runner Shoe", "variant_title": None, "quantity": 1, "price": None,
                            "sku": None}],
            "item_count": 1, "requires_shipping": True, "paid": False,
        },
        "shipment": None, "tracking": None, "refund": None, "cancellation": None, "feedback": None,
        "help": {"shipping": None, "returns": None, "contact": None, "track_order": None, "contact_email": None},
        "_currency": "USD", "_locale": "en", "_timezone": "America/New_York",
    }
    if message_type in SHIPMENT_TYPES:
        context["shipment"] = {
            "name": None, "tracking_company": None, "tracking_number": None, "tracking_url": None,
            "tracking_numbers": [], "tracking_urls": [], "line_items": [], "item_count": 0, "is_partial": False,
            "estimated_delivery_at": None,
        }
    if message_type in TRACKING_STATUS:
        context["tracking"] = {"status": TRACKING_STATUS[message_type], "message": None, "happened_at": None,
                               "city": None, "country": None}
    if message_type == "refund_issued":
        context["refund"] = {"amount": Decimal("85.00"), "currency": "USD", "note": None, "line_items": [],
                             "item_count": 0, "processed_at": None, "payment_days": "5\u201310"}
    if message_type == "order_cancelled":
        context["cancellation"] = {"reason": None, "refund_expected": False}
    return context


CONTEXTS = {"full": full_context, "sparse": sparse_context}


def visible_text(html: str) -> str:
    """The body's text: style blocks and tags removed, entities decoded, whitespace collapsed."""
    body = html.split("<body", 1)[-1]
    body = re.sub(r"<style\b.*?</style>", " ", body, flags=re.DOTALL | re.IGNORECASE)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


# --- 1. every message type renders every part -------------------------------------------------------

@pytest.mark.parametrize("kind", CONTEXTS)
@pytest.mark.parametrize("message_type", MESSAGE_TYPES)
def test_every_message_type_renders_all_parts(message_type: str, kind: str) -> None:
    context = CONTEXTS[kind](message_type)
    email = render_email(EN, message_type, context)
    sms = render_sms(EN, message_type, context)

    assert email.subject.strip(), "empty subject"
    assert "\n" not in email.subject and "\r" not in email.subject
    assert email.subject == email.subject.strip()
    assert ORDER in email.subject

    html = email.html
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "<html" in html and html.rstrip().lower().endswith("</html>")
    assert "<body" in html and "</body>" in html
    assert ORDER in html
    assert html.count('style="') > 5, "CSS was not inlined"
    assert re.search(r'<h1[^>]*style="', html), "the card's heading has no inline style"

    assert ORDER in email.text

    for name, output in (("subject", email.subject), ("html", html), ("text", email.text), ("sms", sms)):
        assert "None" not in output, f"{name} shows 'None'"
        assert "Decimal(" not in output, f"{name} shows a Decimal repr"

    assert sms.startswith(SHOP)
    assert ORDER in sms
    segments = count_segments(sms)
    assert segments.encoding == "GSM-7", (sms, segments.first_non_gsm)
    if kind == "full":
        assert segments.count == 1, (len(sms), sms)


def test_html_is_one_full_document_with_the_body_inside_the_layout() -> None:
    html = render_email(EN, "order_confirmation", full_context("order_confirmation")).html
    assert html.lower().count("<html") == 1
    assert html.lower().count("<body") == 1
    assert "<title>Your order #1001 is confirmed</title>" in html
    body = html.split("<body", 1)[1]
    assert "Trail Runner Shoe" in body
    assert "<!DOCTYPE" not in body and "<html" not in body


def test_typical_sms_is_gsm7_and_one_segment_with_partial_shipment_and_long_values() -> None:
    context = full_context("shipping_confirmation")
    context["shipment"]["is_partial"] = True
    sms = render_sms(EN, "shipping_confirmation", context)
    segments = count_segments(sms)
    assert (segments.encoding, segments.count) == ("GSM-7", 1), (len(sms), sms)


# --- 2. what happened, what it means, what to do next ------------------------------------------------

@pytest.mark.parametrize("status", ["attempted_delivery", "failure", "ready_for_pickup", "delayed"])
def test_delivery_problem_sms_fits_one_segment_for_every_status(status: str) -> None:
    context = full_context("delivery_problem")
    context["tracking"]["status"] = status
    sms = render_sms(EN, "delivery_problem", context)
    assert sms.startswith(f"{SHOP}:")
    assert ORDER in sms
    segments = count_segments(sms)
    assert (segments.encoding, segments.count) == ("GSM-7", 1), (len(sms), sms)


@pytest.mark.parametrize("kind", CONTEXTS)
def test_greeting_uses_first_name_or_a_neutral_hello(kind: str) -> None:
    email = render_email(EN, "order_confirmation", CONTEXTS[kind]("order_confirmation"))
    greeting = "Hi Jane," if kind == "full" else "Hello,"
    assert email.text.startswith(greeting)
    assert greeting in visible_text(email.html)
    assert "Hi ," not in email.text and "Hi ," not in visible_text(email.html)


def test_shipping_confirmation_shows_carrier_tracking_number_and_url() -> None:
    context = full_context("shipping_confirmation")
    email = render_email(EN, "shipping_confirmation", context)
    for part in (email.text, visible_text(email.html)):
        assert "UPS" in part
        assert TRACKING_NUMBER in part
    assert TRACKING_URL in email.text
    # in HTML the & of the query string is an entity inside the href
    assert TRACKING_URL.replace("&", "&amp;") in email.html
    assert TRACKING_URL in render_sms(EN, "shipping_confirmation", context)


def test_shipping_confirmation_without_url_still_gives_the_tracking_number() -> None:
    context = full_context("shipping_confirmation")
    context["shipment"].update(tracking_url=None, tracking_urls=[])
    email = render_email(EN, "shipping_confirmation", context)
    assert TRACKING_NUMBER in email.text
    assert TRACKING_NUMBER in email.html
    assert TRACKING_NUMBER in render_sms(EN, "shipping_confirmation", context)


def test_partial_shipment_says_the_rest_will_follow() -> None:
    context = full_context("shipping_confirmation")
    context["shipment"]["is_partial"] = True
    email = render_email(EN, "shipping_confirmation", context)
    sms = render_sms(EN, "shipping_confirmation", context)
    for name, part in (("html", visible_text(email.html)), ("text", email.text), ("sms", sms)):
        assert re.search(r"\b(rest|separately)\b", part, re.IGNORECASE), f"{name}: {part!r}"


def test_complete_shipment_does_not_claim_more_is_coming() -> None:
    context = full_context("shipping_confirmation")
    email = render_email(EN, "shipping_confirmation", context)
    sms = render_sms(EN, "shipping_confirmation", context)
    for part in (visible_text(email.html), email.text, sms):
        assert "rest will follow" not in part.lower()


def test_refund_issued_shows_amount_and_how_long_it_takes() -> None:
    context = full_context("refund_issued")
    email = render_email(EN, "refund_issued", context)
    sms = render_sms(EN, "refund_issued", context)
    for name, part in (("subject", email.subject), ("html", email.html), ("text", email.text), ("sms", sms)):
        assert "$85.00" in part, f"{name}: {part!r}"
    for name, part in (("html", visible_text(email.html)), ("text", email.text), ("sms", sms)):
        assert "business days" in part, f"{name}: {part!r}"
    assert "5-10 business days" in sms


def test_refund_amount_uses_the_refund_currency() -> None:
    context = full_context("refund_issued")
    context["refund"].update(currency="EUR", amount=Decimal("85"))
    context["_currency"] = "EUR"
    email = render_email(EN, "refund_issued", context)
    assert "\u20ac85.00" in email.subject
    sms = render_sms(EN, "refund_issued", context)
    assert "\u20ac85.00" in sms
    assert count_segments(sms).encoding == "GSM-7"


def test_delivered_includes_feedback_links_when_given() -> None:
    context = full_context("delivered")
    email = render_email(EN, "delivered", context)
    for url in (context["feedback"]["good_url"], context["feedback"]["bad_url"]):
        assert f'href="{url}"' in email.html
        assert url in email.text


def test_delivered_without_feedback_has_no_empty_feedback_links() -> None:
    context = full_context("delivered")
    context["feedback"] = None
    email = render_email(EN, "delivered", context)
    assert 'href=""' not in email.html
    assert "/f/abc123/" not in email.text


@pytest.mark.parametrize("status", ["attempted_delivery", "failure", "ready_for_pickup"])
def test_delivery_problem_says_how_to_get_help(status: str) -> None:
    context = full_context("delivery_problem")
    context["tracking"]["status"] = status
    email = render_email(EN, "delivery_problem", context)
    contact, contact_email = context["help"]["contact"], context["help"]["contact_email"]
    assert contact in email.html or contact_email in email.html
    assert contact in email.text or contact_email in email.text


def test_delivery_problem_with_only_an_email_address_still_says_how_to_get_help() -> None:
    context = full_context("delivery_problem")
    context["tracking"]["status"] = "failure"
    context["help"] = {"shipping": None, "returns": None, "contact": None, "track_order": None,
                       "contact_email": "help@acme.example"}
    context["shipment"].update(tracking_url=None, tracking_urls=[])
    email = render_email(EN, "delivery_problem", context)
    sms = render_sms(EN, "delivery_problem", context)
    assert "help@acme.example" in email.html
    assert "help@acme.example" in email.text
    assert "help@acme.example" in sms


# --- 3. escaping -------------------------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script> & Co"


@pytest.mark.parametrize("message_type", ["order_confirmation", "shipping_confirmation", "delivered"])
def test_customer_values_are_escaped_in_html_but_not_in_text(message_type: str) -> None:
    context = full_context(message_type)
    context["customer"]["first_name"] = HOSTILE
    context["order"]["line_items"][0]["title"] = HOSTILE
    if context["shipment"]:
        context["shipment"]["line_items"][0]["title"] = HOSTILE
    email = render_email(EN, message_type, context)

    assert "<script" not in email.html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in email.html
    assert HOSTILE in email.text
    assert "&lt;" not in email.text and "&amp;" not in email.text


def test_hostile_shop_name_is_escaped_in_the_layout() -> None:
    context = full_context("order_confirmation")
    context["shop"]["name"] = "Acme <b>Outfitters</b> & Sons"
    html = render_email(EN, "order_confirmation", context).html
    assert "<b>Outfitters</b>" not in html
    assert "Acme &lt;b&gt;Outfitters&lt;/b&gt; &amp; Sons" in html


def test_html_environment_autoescapes_and_text_environment_does_not() -> None:
    source = "{{ name }}"
    assert render(parse(source, html=True), {"name": HOSTILE}) == \
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"
    assert render(parse(source, html=False), {"name": HOSTILE}) == HOSTILE


# --- 4. syntax errors --------------------------------------------------------------------------------

def test_syntax_error_reports_line_and_column() -> None:
    with pytest.raises(TemplateError) as info:
        parse("Hello\n{{ order.name | }}", html=False)
    assert info.value.line == 2
    assert isinstance(info.value.column, int)
    assert "line 2" in str(info.value)


def test_syntax_error_with_a_located_token_reports_line_and_column() -> None:
    with pytest.raises(TemplateError) as info:
        parse("Hello\n{{ order.name | | upcase }}", html=True)
    assert (info.value.line, info.value.column) == (2, 17)  # the second "|", counting columns from 1
    assert "(line 2, column 17)" in str(info.value)


def test_unclosed_if_is_an_error() -> None:
    with pytest.raises(TemplateError) as info:
        parse("Hello {% if customer.first_name %}{{ customer.first_name }}", html=False)
    assert "endif" in str(info.value)


def test_stray_end_tag_is_an_error_with_its_line() -> None:
    with pytest.raises(TemplateError) as info:
        parse("Hello\nthere\n{% endif %}", html=False)
    assert info.value.line == 3


@pytest.mark.parametrize("html", [True, False])
def test_unknown_filter_is_an_error_not_silent_output(html: bool) -> None:
    # python-liquid resolves filters at render time; strict filters make a typo an error
    template = parse("Hi\n{{ order.name | upcasee }}", html=html)
    with pytest.raises(TemplateError) as info:
        render(template, {"order": {"name": ORDER}})
    assert "upcasee" in str(info.value)
    assert info.value.line == 2


def test_template_error_is_not_a_liquid_error() -> None:
    """Callers catch one exception type; python-liquid's own classes stay inside rendering.py."""
    from liquid.exceptions import LiquidError

    with pytest.raises(TemplateError) as info:
        parse("{% if %}", html=False)
    assert not isinstance(info.value, LiquidError)


# --- 5. limits ---------------------------------------------------------------------------------------

def test_nested_loops_hit_the_iteration_limit() -> None:
    template = parse("{% for i in (1..100000) %}{% for j in (1..100000) %}{{ j }}{% endfor %}{% endfor %}",
                     html=False)
    with pytest.raises(TemplateError) as info:
        render(template, {})
    assert "limit" in str(info.value).lower()


def test_single_long_loop_hits_the_iteration_limit() -> None:
    template = parse("{% for i in (1..100000) %}{% endfor %}", html=True)
    with pytest.raises(TemplateError):
        render(template, {})


def test_loop_under_the_limit_renders() -> None:
    template = parse("{% for i in (1..900) %}x{% endfor %}", html=False)
    assert render(template, {}) == "x" * 900


def test_huge_output_hits_the_output_limit() -> None:
    template = parse("{% for i in (1..500) %}{{ chunk }}{% endfor %}", html=False)
    with pytest.raises(TemplateError) as info:
        render(template, {"chunk": "x" * 1000})
    assert "limit" in str(info.value).lower()


# --- 6. filters --------------------------------------------------------------------------------------

def render_text(source: str, **context: Any) -> str:
    return render(parse(source, html=False), context)


def test_money_in_euros_for_german() -> None:
    assert render_text("{{ x | money }}", x=Decimal("1234.5"), _currency="EUR", _locale="de") == "1.234,50\u00a0€"


def test_money_defaults_and_rounding() -> None:
    assert render_text("{{ x | money }}", x=Decimal("404.95"), _currency="USD", _locale="en") == "$404.95"
    assert render_text("{{ x | money }}", x=Decimal("10"), _currency="USD", _locale="en") == "$10.00"
    assert render_text("{{ x | money }}", x=Decimal("10")) == "$10.00"
    assert render_text("[{{ x | money }}]", x=None, _currency="USD", _locale="en") == "[]"


def test_money_with_currency() -> None:
    assert render_text("{{ x | money_with_currency }}", x=Decimal("10"), _currency="USD", _locale="en") == \
        "$10.00 USD"
    assert render_text("[{{ x | money_with_currency }}]", x=None, _currency="USD", _locale="en") == "[]"


def test_date_uses_time_zone_and_locale() -> None:
    when = dt.datetime(2021, 12, 31, 23, 30, tzinfo=UTC)
    assert render_text('{{ d | date: "%B %-d, %Y" }}', d=when, _timezone="Europe/Paris", _locale="fr") == \
        "janvier 1, 2022"
    assert render_text('{{ d | date: "%B %-d, %Y" }}', d=when, _timezone="America/New_York", _locale="en") == \
        "December 31, 2021"


def test_date_accepts_iso_strings_and_default_format() -> None:
    assert render_text("{{ d | date }}", d="2021-12-31T23:30:00Z", _timezone="Europe/Paris", _locale="en") == \
        "January 1, 2022"
    assert render_text('{{ d | date: "%A %b" }}', d="2024-03-14T12:00:00+00:00", _timezone="UTC", _locale="de") \
        == "Donnerstag März"
    assert render_text("[{{ d | date }}]", d=None) == "[]"


def test_pluralize() -> None:
    source = '{{ n | pluralize: "item", "items" }}'
    assert render_text(source, n=1) == "item"
    assert render_text(source, n=2) == "items"
    assert render_text(source, n=0) == "items"


def test_default_filter() -> None:
    assert render_text('{{ x | default: "friend" }}', x=None) == "friend"
    assert render_text('{{ x | default: "friend" }}', x="") == "friend"
    assert render_text('{{ x | default: "friend" }}', x="Jane") == "Jane"
    assert render_text('{{ x | default: "friend" }}') == "friend"


def test_url_encode_filter() -> None:
    assert render_text("{{ x | url_encode }}", x="john@liquid.com") == "john%40liquid.com"
    assert render_text("{{ x | url_encode }}", x="Tetsuro Takara & co") == "Tetsuro+Takara+%26+co"


def test_escape_filter() -> None:
    # Shopify writes &#39; and python-liquid &#x27; for the apostrophe: the same character in HTML
    source = "Have you read 'James & the Giant Peach'? <b>"
    escaped = render_text("{{ x | escape }}", x=source)
    assert "&amp;" in escaped and "&lt;b&gt;" in escaped
    assert "'" not in escaped and "<" not in escaped
    assert unescape(escaped) == source
    # in the autoescaping environment an explicit escape does not double-escape
    assert render(parse("{{ x | escape }}", html=True), {"x": "<b>&"}) == "&lt;b&gt;&amp;"


def test_undefined_variables_render_empty() -> None:
    assert render_text("[{{ nothing.here }}]") == "[]"


# --- 7. SMS character set and length -----------------------------------------------------------------

def test_render_sms_replaces_typographic_characters() -> None:
    context = full_context("order_confirmation")
    context["shop"]["name"] = "Acme\u00a0Outfitters \u2013 \u201cBest\u201d \u2018gear\u2019\u2026"
    sms = render_sms(EN, "order_confirmation", context)
    assert sms.startswith("Acme Outfitters - \"Best\" 'gear'...: ")
    segments = count_segments(sms)
    assert segments.encoding == "GSM-7", segments.first_non_gsm


def test_render_sms_collapses_whitespace() -> None:
    context = full_context("order_confirmation")
    context["shop"]["name"] = "Acme \n\n\tOutfitters"
    sms = render_sms(EN, "order_confirmation", context)
    assert sms.startswith("Acme Outfitters: ")
    assert "  " not in sms and "\n" not in sms and "\t" not in sms


def test_count_segments_gsm7() -> None:
    assert (count_segments("a" * 160).encoding, count_segments("a" * 160).count) == ("GSM-7", 1)
    assert count_segments("a" * 160).units == 160
    assert (count_segments("a" * 161).encoding, count_segments("a" * 161).count) == ("GSM-7", 2)
    assert count_segments("a" * 306).count == 2
    assert count_segments("a" * 307).count == 3
    assert count_segments("").count in (0, 1)


def test_count_segments_extended_characters_take_two_units() -> None:
    assert count_segments("€").units == 2
    assert count_segments("{").units == 2
    segments = count_segments("€" + "a" * 158)
    assert (segments.encoding, segments.units, segments.count, segments.first_non_gsm) == ("GSM-7", 160, 1, None)
    assert count_segments("{" + "a" * 159).count == 2


def test_count_segments_ucs2_for_emoji() -> None:
    # "🙂" is two UTF-16 code units, so the text is 70 units with 68 + 2
    seventy = "🙂" + "a" * 68
    segments = count_segments(seventy)
    assert (segments.encoding, segments.units, segments.count, segments.first_non_gsm) == ("UCS-2", 70, 1, "🙂")
    seventy_one = seventy + "a"
    assert (count_segments(seventy_one).units, count_segments(seventy_one).count) == (71, 2)


def test_count_segments_ucs2_reports_the_first_offender() -> None:
    segments = count_segments("Hello \u2013 world \U0001f642")
    assert segments.encoding == "UCS-2"
    assert segments.first_non_gsm == "\u2013"


# --- 8. locales --------------------------------------------------------------------------------------

def test_locale_chain() -> None:
    assert locale_chain("fr-CA", "de") == ["fr-CA", "fr", "de", "en"]
    assert locale_chain(None, "en") == ["en"]
    assert locale_chain() == ["en"]


def test_find_template_falls_back_to_english() -> None:
    context = full_context("delivered")
    fallback = render(find_template(["xx", "en"], "delivered", "sms"), context)
    english = render(find_template(["en"], "delivered", "sms"), context)
    assert fallback == english
    assert fallback.startswith(f"{SHOP}: Your order {ORDER} was delivered.")
    assert render_sms(locale_chain("xx-YY"), "delivered", context) == " ".join(english.split())


def test_find_template_without_any_locale_raises() -> None:
    with pytest.raises(TemplateError):
        find_template(["xx"], "delivered", "sms")
    with pytest.raises(TemplateError):
        find_template(["en"], "no_such_message", "sms")


def test_contexts_are_not_mutated_by_rendering() -> None:
    context = full_context("refund_issued")
    before = copy.deepcopy(context)
    render_email(EN, "refund_issued", context)
    render_sms(EN, "refund_issued", context)
    assert context == before
