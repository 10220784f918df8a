"""The printed recap for the jury: credentials sheet + readiness summary, and the Wi-Fi poster.

    data.py      Loaded (+ readiness) -> Recap / Poster, pure data, no rendering
    document.py  Recap / Poster -> the plain data of the page (secrets cut into groups, French dates)
    render.py    that data -> PDF (Typst, templates/*.typ), offline, fonts embedded
    qr.py        Wi-Fi QR payload (ZXing "WIFI:" format) and its image
    printing.py  IPP Print-Job of the PDF to a network printer
    readiness.py the last sweep from the state store, and the gate rule
    cli.py       ``plateau recap`` (registered by provision/cli.py)

Nothing here logs a secret: secrets travel as :class:`~provision.recap.data.Secret`, whose
repr and str are masked; only document.py reads ``.value``, for the page handed to Typst in memory.
"""
