from django.urls import path

from alstrial.web.safety import table_views, views

app_name = "safety"
urlpatterns = [
    path("", views.ae_list, name="list"),
    path("new/", views.ae_new, name="new"),
    path("<int:pk>/", views.ae_detail, name="detail"),
    path("<int:pk>/follow-up/", views.ae_follow_up, name="follow_up"),
    path("<int:pk>/submit/<str:kind>/", views.submit_report, name="submit"),
    path("<int:pk>/code/", views.code_term, name="code"),
    path("board/", views.board, name="board"),
    path("triggers/<int:pk>/lift/", views.lift, name="lift"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/", views.open_notification, name="open_notification"),
    path("trials/<slug:slug>/tables/", table_views.tables, name="tables"),
    path("trials/<slug:slug>/tables/<str:name>.csv", table_views.table_csv, name="table_csv"),
    path("trials/<slug:slug>/panel/", table_views.panel, name="panel"),
]
