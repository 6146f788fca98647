from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from avadesk.views import healthz

admin.site.site_header = "AVA Desk knowledge base"

urlpatterns = [
    path("", include("platforms.urls")),
    path("", include("analysis.urls")),  # before tickets: its <slug:step> would catch these
    path("", include("tickets.urls")),
    path("account/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

handler400 = "avadesk.views.bad_request"
handler403 = "avadesk.views.permission_denied"
handler404 = "avadesk.views.page_not_found"
handler500 = "avadesk.views.server_error"
