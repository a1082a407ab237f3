from django.apps import AppConfig


class IterationConfig(AppConfig):
    name = "labproject.iteration"
    label = "iteration"
    verbose_name = "Iteration lab"
