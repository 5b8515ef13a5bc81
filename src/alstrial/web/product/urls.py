from django.urls import path

from alstrial.web.product import views, views_lot

app_name = "product"
urlpatterns = [
    path("", views.lot_list, name="lots"),
    path("subjects/<int:pk>/", views.subject_product, name="subject"),
    path("subjects/<int:pk>/harvest/", views.harvest_create, name="harvest"),
    path("subjects/<int:pk>/administer/", views.administer, name="administer"),
    path("harvests/<int:pk>/batch/", views.batch_create, name="batch_create"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/passages/", views.passage_create, name="passage"),
    path("batches/<int:pk>/lots/", views.lots_create, name="lots_create"),
    path("batches/<int:pk>/deviations/", views.deviation_create, name="deviation"),
    path("lots/<int:pk>/", views_lot.lot_detail, name="lot"),
    path("lots/<int:pk>/qc/", views_lot.qc_edit, name="qc"),
    path("lots/<int:pk>/qc/preview/", views_lot.qc_preview, name="qc_preview"),
    path("lots/<int:pk>/release/", views_lot.release, name="release"),
    path("lots/<int:pk>/prepare/", views_lot.prepare, name="prepare"),
    path("lots/<int:pk>/custody/", views_lot.custody, name="custody"),
    path("lots/<int:pk>/label/", views_lot.label, name="label"),
]
