"""Request pages: the phone pages of residents and grid workers under /m/, the workbench pages
under /workbench/tickets/, and the scoped photo view."""

from django.urls import path

from .views import desk, phone, photos, rates

app_name = "tickets"
urlpatterns = [
    # Phone: residents (上报, 我的诉求) and grid workers (待办, 巡查上报, 办理).
    path("m/report/", phone.report, name="report"),
    path("m/requests/", phone.mine, name="mine"),
    path("m/requests/<str:number>/", phone.mine_detail, name="mine_detail"),
    path("m/queue/", phone.queue, name="queue"),
    path("m/queue/<str:number>/", phone.handle, name="handle"),
    # Workbench: dispatch desk, lists, detail with timeline and actions, export, 三率.
    path("workbench/tickets/", desk.desk, name="desk"),
    path("workbench/tickets/all/", desk.ticket_list, name="list"),
    path("workbench/tickets/export/", desk.export, name="export"),
    path("workbench/tickets/rates/", rates.rates_page, name="rates"),
    path("workbench/tickets/<str:number>/", desk.detail, name="detail"),
    path("tickets/photos/<int:pk>/", photos.photo, name="photo"),
]
