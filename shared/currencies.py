"""The active ISO 4217 currency codes: what an imported order's currency must be.

Source: ISO 4217 "List one: currency, fund and precious metal codes", as published by SIX Financial
Information (the maintenance agency) at https://www.six-group.com/en/products-services/financial-information/data-standards.html,
amendments up to No. 177 (2024): ZWG (Zimbabwe Gold) added; HRK (Croatia, 2023), SLL (Sierra Leone,
2023 end of circulation) and ZWL (Zimbabwe, 2024) withdrawn. The fund codes (BOV, CHE, CHW, CLF, COU,
MXV, USN, UYI, UYW), the precious metals (XAU, XAG, XPD, XPT), SDR (XDR), testing (XTS) and "no
currency" (XXX) are left out: no shop sells in them.
"""

from __future__ import annotations

ISO_4217: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
    GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
    KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD
    NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
    SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED
    VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 - a table of codes reads better than a list of strings
)
