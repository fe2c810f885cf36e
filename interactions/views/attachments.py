from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from ..models import Attachment
from ..permissions import VIEW_ATTACHMENTS
from ..selectors.log import attachment_is_visible


@permission_required(VIEW_ATTACHMENTS, raise_exception=True)
def attachment_download(request, pk: int):
    """Attachments are always served as downloads, never rendered inline by the browser,
    so an uploaded HTML or SVG file cannot run script in our origin."""
    attachment = get_object_or_404(Attachment, pk=pk)
    if not attachment_is_visible(attachment, user=request.user):
        raise PermissionDenied
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The stored file of this attachment is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.file_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
