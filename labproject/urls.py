"""The lab serves no pages; Django still wants a URL configuration to exist."""

urlpatterns: list = []
