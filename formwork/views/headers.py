"""Security headers on every response: a strict Content-Security-Policy and the usual others.

The policy allows scripts, styles, fonts and images from this site only, and no inline
script or style: templates link `static/` files instead. Pages cannot be framed.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

#: Sent only when the app is served over https (FORMWORK_HTTPS): browsers then refuse http.
HSTS = "max-age=31536000"


def init_app(app: Flask, https: bool = False) -> None:
    headers = dict(HEADERS)
    if https:
        headers["Strict-Transport-Security"] = HSTS

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
