from django.urls import path

from gtf_project.urls import urlpatterns as project_urls
from tests.testapp import views

urlpatterns = [
    path("enqueue/slow-step/", views.enqueue_slow_step),
    *project_urls,
]
