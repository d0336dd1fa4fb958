"""REST API of the task framework (DRF): serializers, views, permissions, filters, urls."""
