from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "gtf_project.demo"
    label = "demo"
    verbose_name = "GTF demo"
