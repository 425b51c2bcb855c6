"""The notice PDF's text as a reader sees it, page by page, read by PDFium (the engine of
Chrome's PDF viewer).

Not pypdf: our font is CFF, for which fpdf2 writes the Type0 font's /Encoding as an embedded
CMap stream; pypdf does not read such an encoding and takes the two-byte glyph codes one byte
at a time. That is where its NUL after every character came from, and once a notice uses more
than 256 glyphs it reads the high byte as a glyph of its own ("Page 1 o整通 5"). PDFium, like
poppler and every viewer we tried, reads the codes as the file declares them. pypdf still
serves for the file's structure (fonts, images, page size)."""

from __future__ import annotations

import pypdfium2 as pdfium


def pdf_pages(content: bytes) -> list[str]:
    document = pdfium.PdfDocument(content)
    try:
        return [page.get_textpage().get_text_range().replace("\r\n", "\n") for page in document]
    finally:
        document.close()


def pdf_text(content: bytes) -> str:
    return "\n".join(pdf_pages(content))
