"""The receipt's claim link (on the service's public origin) and its QR code as PNG.

The QR code carries only the claim link (receipt id); the activation code is printed as
text beside it (see docs/sales.md for why). `qrcode` renders through `pypng` (pure
Python), so no imaging library is needed.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode
from uuid import UUID

from hotpot.config import Settings


def public_base_url(settings: Settings) -> str:
    """Where customers open the claim page: the service's public origin (PUBLIC_BASE_URL)."""
    return settings.effective_public_base_url


def claim_url(public_base_url: str, receipt_id: UUID) -> str:
    return f"{public_base_url.rstrip('/')}/claim?{urlencode({'receipt': str(receipt_id)})}"


def qr_png(data: str, box_size: int = 8, border: int = 4) -> bytes:
    """A PNG of the QR code of `data` (error correction M: survives a crease or a stain)."""
    import qrcode  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from qrcode.image.pure import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
        PyPNGImage,
    )

    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=box_size,
        border=border,
        image_factory=PyPNGImage,
    )
    code.add_data(data)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()
