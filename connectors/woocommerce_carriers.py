"""Tracking links for the carriers WooCommerce stores name, keyed by slug and by display name. No I/O.

Sources of the URL templates (placeholders as the plugins write them: `%1$s` tracking number,
`%2$s` postcode, `%3$s` country):
- the official WooCommerce Shipment Tracking extension, `WC_Shipment_Tracking_Actions::get_providers()`
  (the HPOS-era 2.x class using the `Order_Util` trait, read through the `code` search corpus; which
  public repository holds that copy is unconfirmed, research/woocommerce.md source key ST244). Its
  `get_formatted_tracking_item()` matches an item's `tracking_provider` against `wc_clean($name)` or
  `sanitize_title($name)`, and fills the template with the number, `urlencode(wc_normalize_postcode(...))`
  of the shipping (else billing) postcode, and the shipping country — `carrier_link` does the same.
- WooCommerce core Order Fulfillments, `src/Internal/Fulfillments/Providers/GLSShippingProvider.php`
  (key `gls`), for GLS, which the Shipment Tracking list lacks.
Advanced Shipment Tracking keeps its provider list in the store's database (synced from zorem), so it
has no static list to copy; its REST answers carry `tracking_link` ready-made, which is used as given.
"""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

#: (display name, URL template) as the sources above publish them.
PROVIDERS: tuple[tuple[str, str], ...] = (
    # United States
    ("USPS", "https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1=%1$s"),
    ("UPS", "https://www.ups.com/track?loc=en_US&tracknum=%1$s"),
    ("Fedex", "https://www.fedex.com/apps/fedextrack/?action=track&action=track&tracknumbers=%1$s"),
    ("FedEx Sameday", "https://www.fedexsameday.com/fdx_dotracking_ua.aspx?tracknum=%1$s"),
    ("DHL US", "https://www.logistics.dhl/us-en/home/tracking/tracking-ecommerce.html?tracking-id=%1$s"),
    ("DHL eCommerce", "https://webtrack.dhlecs.com/orders?trackingNumber=%1$s"),
    ("OnTrac", "https://www.ontrac.com/tracking/?number=%1$s"),
    ("GlobalPost", "https://www.goglobalpost.com/track-detail/?t=%1$s"),
    # United Kingdom
    ("DHL", "https://www.dhl.com/content/g0/en/express/tracking.shtml?brand=DHL&AWB=%1$s"),
    ("DHL Parcel UK", "https://track.dhlparcel.co.uk/?con=%1$s"),
    ("Royal Mail", "https://www3.royalmail.com/track-your-item#/tracking-results/%1$s"),
    ("ParcelForce", "https://www.parcelforce.com/track-trace?trackNumber=%1$s"),
    ("DPD.co.uk", "https://www.dpd.co.uk/apps/tracking/?reference=%1$s#results"),
    ("DPD Local", "https://apis.track.dpdlocal.co.uk/v1/track?postcode=%2$s&parcel=%1$s"),
    ("EVRi", "https://www.evri.com/track/parcel/%1$s"),
    ("EVRi (international)", "https://international.evri.com/tracking/%1$s"),
    ("TNT Express (consignment)",
     "https://www.tnt.com/express/en_gb/site/shipping-tools/tracking.html?searchType=con&cons=%1$s"),
    # Canada, Australia, New Zealand
    ("Canada Post", "https://www.canadapost-postescanada.ca/track-reperage/en#/resultList?searchFor=%1$s"),
    ("Purolator", "https://www.purolator.com/purolator/ship-track/tracking-summary.page?pin=%1$s"),
    ("Australia Post", "https://auspost.com.au/mypost/track/#/details/%1$s"),
    ("Fastway Couriers", "https://www.fastway.com.au/tools/track/?l=%1$s"),
    ("NZ Post", "https://www.nzpost.co.nz/tools/tracking?trackid=%1$s"),
    ("Courier Post", "https://trackandtrace.courierpost.co.nz/Search/%1$s"),
    # Europe
    ("Deutsche Post DHL", "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?lang=de&idc=%1$s"),
    ("DHL Intraship (DE)", "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?lang=de&idc=%1$s"
                           "&rfn=&extendedSearch=true"),
    ("Hermes", "https://www.myhermes.de/empfangen/sendungsverfolgung/sendungsinformation/#%1$s"),
    ("DPD.de", "https://tracking.dpd.de/parcelstatus?query=%1$s&locale=en_DE"),
    ("DHL Express", "https://www.dhl.it/it/express/ricerca.html?AWB=%1$s&brand=DHL"),
    ("Colissimo", "https://www.laposte.fr/outils/suivre-vos-envois?code=%1$s"),
    ("PostNL", "https://postnl.nl/tracktrace/?B=%1$s&P=%2$s&D=%3$s&T=C"),
    ("DPD.NL", "https://tracking.dpd.de/status/en_US/parcel/%1$s"),
    ("bpost", "https://track.bpost.be/btr/web/#/search?itemCode=%1$s"),
    ("post.at", "https://www.post.at/sv/sendungsdetails?snr=%1$s"),
    ("PostNord Sverige AB", "https://portal.postnord.com/tracking/details/%1$s"),
    ("Bring.se", "https://tracking.bring.se/tracking/%1$s"),
    ("An Post", "https://track.anpost.ie/TrackingResults.aspx?rtt=1&items=%1$s"),
    ("DPD.ie", "https://dpd.ie/tracking?deviceType=5&consignmentNumber=%1$s"),
    ("InPost", "https://inpost.pl/sledzenie-przesylek?number=%1$s"),
    ("Poczta Polska", "https://emonitoring.poczta-polska.pl/?numer=%1$s"),
    ("Correios", "http://websro.correios.com.br/sro_bin/txect01$.QueryList?P_LINGUA=001&P_TIPO=001&P_COD_UNI=%1$s"),
    # WooCommerce core Fulfillments (GLSShippingProvider::get_tracking_url appends the number).
    ("GLS", "https://gls-group.eu/EU/en/parcel-tracking/%1$s"),
)

#: Other spellings merchants and plugins use for the same carrier -> the display name above.
ALIASES: dict[str, str] = {
    "la-poste": "Colissimo", "laposte": "Colissimo", "deutsche-post": "Deutsche Post DHL",
    "postnord": "PostNord Sverige AB", "dhl-parcel": "DHL Parcel UK",
}


def slug(name: str) -> str:
    """WordPress's sanitize_title(): accents dropped, lower case, dots and spaces to dashes."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9 _-]", "", text.replace(".", "-"))
    return re.sub(r"[\s-]+", "-", text).strip("-")


_BY_SLUG: dict[str, tuple[str, str]] = {slug(name): (name, template) for name, template in PROVIDERS}
_BY_SLUG.update({alias: _BY_SLUG[slug(name)] for alias, name in ALIASES.items()})


def provider(name_or_slug: str) -> tuple[str, str] | None:
    """(display name, URL template) for a provider slug or display name; None when unknown."""
    return _BY_SLUG.get(slug(name_or_slug or ""))


def display_name(name_or_slug: str) -> str:
    """The carrier's display name, or what was given when the carrier is not in the list."""
    known = provider(name_or_slug)
    return known[0] if known else name_or_slug


def normalize_postcode(postcode: str) -> str:
    """wc_normalize_postcode(): upper case, no spaces or dashes."""
    return re.sub(r"[\s-]", "", postcode.strip().upper())


def carrier_link(provider_name: str, number: str, postcode: str = "", country: str = "") -> str | None:
    """The carrier's tracking page for this number, filled like Shipment Tracking fills it."""
    known = provider(provider_name)
    if known is None or not number:
        return None
    values = (quote(number.strip(), safe=""), quote(normalize_postcode(postcode), safe=""),
              quote(country.strip(), safe=""))
    link = known[1]
    for position, value in enumerate(values, start=1):
        link = link.replace(f"%{position}$s", value)
    return link
