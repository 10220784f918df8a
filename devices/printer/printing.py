"""Send a PDF to a network printer: one IPP Print-Job (RFC 8011 §4.2.1), application/pdf.

    POST /ipp/print  Content-Type: application/ipp
    operation group: attributes-charset, attributes-natural-language, printer-uri,
                     requesting-user-name, job-name, document-format=application/pdf
    end-of-attributes, then the PDF bytes

Reuses the IPP codec of the printer family (devices/printer/ipp.py) and its bounded HTTP
exchange (devices/printer/transport.py). The job name says which document it is, never a
secret; the printer-uri is ``ipp://host:port/path`` (``ipps://`` = TLS).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from devices.errors import DeviceError
from devices.printer import ipp
from devices.printer.ipp import Attribute
from devices.printer.transport import http_request

PRINT_JOB = 0x0002
SERVER_ERROR_BUSY = 0x0507
DEFAULT_TIMEOUT_S = 30.0
BUSY_RETRY_S = 1.0


class PrintError(Exception):
    """The printer could not be reached or refused the job (message safe to show)."""


@dataclass(frozen=True, slots=True)
class PrintResult:
    printer_uri: str
    status: str
    job_id: int | None
    job_state: int | None


def print_job_request(printer_uri: str, pdf: bytes, job_name: str, *, request_id: int = 1) -> bytes:
    operation = [
        Attribute(name="attributes-charset", tag=ipp.CHARSET, values=("utf-8",)),
        Attribute(name="attributes-natural-language", tag=ipp.NATURAL_LANGUAGE, values=("fr",)),
        Attribute(name="printer-uri", tag=ipp.URI, values=(printer_uri,)),
        Attribute(name="requesting-user-name", tag=ipp.NAME, values=("plateau",)),
        Attribute(name="job-name", tag=ipp.NAME, values=(job_name,)),
        Attribute(name="document-format", tag=ipp.MIME_MEDIA_TYPE, values=("application/pdf",)),
    ]
    return ipp.encode_message(
        code=PRINT_JOB, request_id=request_id, version=(1, 1), groups=[(ipp.OPERATION_GROUP, operation)], data=pdf
    )


def send_pdf(printer_uri: str, pdf: bytes, job_name: str, *, timeout_s: float | None = None) -> PrintResult:
    """Print ``pdf``; raise :class:`PrintError` when unreachable or refused.

    IPP/1.1 is used: every IPP printer accepts it, including older ones that answer
    IPP/2.0 with server-error-version-not-supported. A printer still busy with the
    previous job answers server-error-busy: the job is sent again until ``timeout_s``.
    """
    timeout_s = DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return _send_once(printer_uri, pdf, job_name, timeout_s=max(deadline - time.monotonic(), 1.0))
        except _Busy as busy:
            if time.monotonic() + BUSY_RETRY_S >= deadline:
                raise PrintError(busy.args[0]) from None
            time.sleep(BUSY_RETRY_S)


class _Busy(Exception):
    pass


def _send_once(printer_uri: str, pdf: bytes, job_name: str, *, timeout_s: float) -> PrintResult:
    parts = urlsplit(printer_uri)
    tls = parts.scheme == "ipps"
    host = parts.hostname or ""
    port = parts.port or 631
    path = parts.path or "/ipp/print"
    body = print_job_request(printer_uri, pdf, job_name)
    try:
        reply = http_request(
            "POST",
            host,
            port,
            path,
            timeout_s=timeout_s,
            body=body,
            tls=tls,
            headers={"Content-Type": "application/ipp"},
        )
    except (DeviceError, OSError) as exc:
        raise PrintError(str(exc) or type(exc).__name__) from exc
    if reply.status != 200:
        raise PrintError(f"HTTP {reply.status}")
    try:
        answer = ipp.decode_message(reply.body)
    except DeviceError as exc:
        raise PrintError(f"réponse IPP illisible ({exc})") from exc
    if answer.code == SERVER_ERROR_BUSY:
        raise _Busy(answer.status_name)
    if answer.code >= 0x0100:
        raise PrintError(answer.status_name)
    job = answer.group(ipp.JOB_GROUP)
    job_id = (job.get("job-id") or [None])[0]
    job_state = (job.get("job-state") or [None])[0]
    return PrintResult(printer_uri, answer.status_name, job_id, job_state)
