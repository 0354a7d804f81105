from django.apps import AppConfig


class EventSinkConfig(AppConfig):
    name = "tests.support"
    label = "eventsink"
    verbose_name = "Test event sink"
